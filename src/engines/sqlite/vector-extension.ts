import type Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';

/**
 * Loads sqlite-vec (vector functions: vec_f32, vec_distance_cosine, vec_distance_l2) into a connection. The npm
 * package ships the compiled extension for the platform (sqlite-vec-linux-x64 and others) and finds it itself.
 * Every connection that writes documents (the vector table's triggers parse vectors with it) or searches by vector
 * needs it.
 */
export function loadVectorExtension(db: Database.Database): void {
  sqliteVec.load(db);
}
