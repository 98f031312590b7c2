import type Database from 'better-sqlite3';
import type { Document } from '../../schema/document.js';
import type { IndexSchema } from '../../schema/types.js';
import type { ExportPage, ExportPageRequest } from '../engine.js';
import { docsTable } from './ddl.js';
import { filterToSql } from './filter-sql.js';

/**
 * One page of an export, in id order: the documents table's unique index on `id` gives the order and the start
 * (`id > after`), so each page costs its own rows and not a sort of the whole index, as a search sorted by the id
 * field would. The stored JSON is returned whole. Runs on a reader thread; the count and the page are read in one
 * transaction, so they agree.
 */
export function exportPage(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  req: ExportPageRequest,
): ExportPage {
  const d = docsTable(tid);
  const filter = req.filter ? filterToSql(req.filter, schema, tid) : null;
  const where = filter ? ` AND (${filter.sql})` : '';
  const params = filter ? filter.params : [];
  return db.transaction(() => {
    const rows = db
      .prepare(`SELECT d.id AS id, d.src AS src FROM ${d} d WHERE d.id > ?${where} ORDER BY d.id LIMIT ?`)
      // Every id is longer than the empty string: no `after` is the start.
      .all(req.after ?? '', ...params, req.size) as { id: string; src: string }[];
    const total = req.count
      ? (db.prepare(`SELECT count(*) AS n FROM ${d} d WHERE 1${where}`).get(...params) as { n: number }).n
      : null;
    return { documents: rows.map((r) => ({ id: r.id, document: JSON.parse(r.src) as Document })), total };
  })();
}
