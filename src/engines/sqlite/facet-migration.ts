import type Database from 'better-sqlite3';
import type { IndexSchema } from '../../schema/types.js';
import { createFacetSql, docsTable, facetTable } from './ddl.js';

/**
 * Builds the facet table of every live and kept version made before it existed (one read of the documents
 * table per version, once). A version with no faceted field has none, and searches count facets the old way
 * wherever the table is missing.
 */
export function ensureFacetTables(db: Database.Database): void {
  db.transaction(() => {
    const versions = db
      .prepare(
        `SELECT tid, schema FROM sift_indexes
         UNION ALL SELECT prev_tid, prev_schema FROM sift_indexes WHERE prev_tid IS NOT NULL AND prev_schema IS NOT NULL`,
      )
      .all() as { tid: number; schema: string }[];
    const exists = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`);
    for (const v of versions) {
      if (!exists.get(docsTable(v.tid)) || exists.get(facetTable(v.tid))) continue;
      for (const sql of createFacetSql(v.tid, JSON.parse(v.schema) as IndexSchema)) db.exec(sql);
    }
  }).immediate();
}
