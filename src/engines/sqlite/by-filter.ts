import type Database from 'better-sqlite3';
import type { Document } from '../../schema/document.js';
import { tooManyMatches } from '../by-filter.js';
import type { ByFilterRequest } from '../engine.js';
import { docsTable } from './ddl.js';
import { filterToSql } from './filter-sql.js';
import type { VersionWriter } from './version-writer.js';

/**
 * The documents a write by filter touches, read on the writer's connection inside its transaction, so what is
 * counted is exactly what is then written. The exact count comes first: above the limit no row is read.
 */
export function matchingDocuments(
  db: Database.Database,
  index: string,
  idx: VersionWriter,
  request: ByFilterRequest,
): { id: string; document: Document }[] {
  const d = docsTable(idx.tid);
  const filter = request.filter ? filterToSql(request.filter, idx.schema, idx.tid) : null;
  const where = filter ? `WHERE ${filter.sql}` : '';
  const params = filter ? filter.params : [];
  const matched =
    (db
      .prepare(`SELECT count(*) FROM ${d} d ${where}`)
      .pluck()
      .get(...params) as number) ?? 0;
  if (matched > request.limit) throw tooManyMatches(index, matched, request.limit);
  const rows = db.prepare(`SELECT d.id AS id, d.src AS src FROM ${d} d ${where}`).all(...params) as {
    id: string;
    src: string;
  }[];
  return rows.map((r) => ({ id: r.id, document: JSON.parse(r.src) as Document }));
}
