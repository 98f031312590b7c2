import type Database from 'better-sqlite3';
import type { KnnCandidate, KnnRequest } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { docsTable, normColumn, vectorColumn, vectorTable } from './ddl.js';
import { filterToSql } from './filter-sql.js';

const f32 = (v: number[]) => {
  const a = Float32Array.from(v);
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
};

/**
 * The score of each similarity (Elasticsearch's formulas), as SQL over the stored vector `e` and the query `?`:
 * sqlite-vec's cosine distance is 1 - cos, its l2 distance d; the dot product is cos times both lengths.
 */
function scoreSql(field: string, similarity: string, queryNorm: number): string {
  const e = `v.${vectorColumn(field)}`;
  switch (similarity) {
    case 'cosine':
      return `1 - vec_distance_cosine(${e}, ?) / 2`;
    case 'dot_product':
      return `(1 + (1 - vec_distance_cosine(${e}, ?)) * v.${normColumn(field)} * ${queryNorm}) / 2`;
    default:
      return `1 / (1 + pow(vec_distance_l2(${e}, ?), 2))`;
  }
}

/**
 * The exact k nearest documents: every vector the filter keeps is compared with the query (brute force, no
 * approximate index), in SQL over the narrow vector table, best first and ties by id. The filter runs first, as
 * a rowid set from the documents table, so a filtered search finds k hits whenever k documents match.
 */
export function runKnn(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  request: KnnRequest,
): KnnCandidate[] {
  const spec = schema.fields[request.field]!;
  const queryNorm = Math.hypot(...request.vector);
  const params: unknown[] = [f32(request.vector)];
  let where = `v.${vectorColumn(request.field)} IS NOT NULL`;
  if (request.filter) {
    const filter = filterToSql(request.filter, schema, tid);
    where += ` AND v.rowid IN (SELECT d.rowid FROM ${docsTable(tid)} d WHERE ${filter.sql})`;
    params.push(...filter.params);
  }
  params.push(request.k);
  const sql = `SELECT v.id AS id, ${scoreSql(request.field, spec.similarity!, queryNorm)} AS score
    FROM ${vectorTable(tid)} v WHERE ${where} ORDER BY score DESC, v.id LIMIT ?`;
  return db.prepare(sql).all(...params) as KnnCandidate[];
}
