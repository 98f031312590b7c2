import type Database from 'better-sqlite3';
import type { IndexSchema } from '../../schema/types.js';
import { createFacetLogSql, createFacetSql, docsTable, facetLogTable, facetTable } from './ddl.js';
import { tableExists } from './statements.js';

/**
 * Builds the facet table of every live and kept version made before it existed (one read of the documents
 * table per version, once), and the change log of a facet table made before that existed. A version with no faceted field has none, and searches count facets the old way
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
    for (const v of versions) {
      if (!tableExists(db, docsTable(v.tid))) continue;
      if (!tableExists(db, facetTable(v.tid)))
        for (const sql of createFacetSql(v.tid, JSON.parse(v.schema) as IndexSchema)) db.exec(sql);
      else if (!tableExists(db, facetLogTable(v.tid)))
        for (const sql of createFacetLogSql(v.tid)) db.exec(sql);
    }
  }).immediate();
}
