import type Database from 'better-sqlite3';
import type { IndexSchema } from '../../schema/types.js';
import {
  column,
  createFacetSql,
  createListSql,
  createFtsSql,
  createRankSql,
  createVectorSql,
  docsTable,
  dropVectorSql,
  dropFacetSql,
  dropListSql,
  dropFtsSql,
  dropRankSql,
  ftsTable,
  searchableFields,
} from './ddl.js';

const REBUILD_HASH_BYTES = 32 * 1024 * 1024;
const FTS5_DEFAULT_HASH_BYTES = 1024 * 1024;

/**
 * What a version derives from its rows (the B-tree indexes, the text index and its triggers, the rank and facet tables),
 * set aside before a bulk load and built afterwards in one pass each: CREATE INDEX sorts once and FTS5 indexes
 * row after row in large transactions, several times cheaper than maintaining them one row at a time.
 */
export interface SetAside {
  tid: number;
  /** The B-tree indexes that were dropped, as they were declared (whoever declared them). */
  indexes: string[];
}

/** Drops the derived structures of a version whose text index holds nothing yet (no rows, or a new version). */
export function setAside(db: Database.Database, tid: number): SetAside {
  const d = docsTable(tid);
  // Every B-tree index except the id's own (UNIQUE, an automatic index): it keeps ids unique during the load.
  const indexes = db
    .prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`)
    .all(d) as { name: string; sql: string }[];
  for (const { name } of indexes) db.exec(`DROP INDEX "${name.replace(/"/g, '""')}"`);
  for (const sql of dropFtsSql(tid)) if (sql.startsWith('DROP TRIGGER')) db.exec(sql);
  for (const sql of dropRankSql(tid)) db.exec(sql);
  for (const sql of dropFacetSql(tid)) db.exec(sql);
  for (const sql of dropListSql(tid)) db.exec(sql);
  for (const sql of dropVectorSql(tid)) db.exec(sql);
  return { tid, indexes: indexes.map((i) => i.sql) };
}

/**
 * The build of what setAside dropped, as steps that each may run in a transaction of their own (the caller's
 * choice): every B-tree index, the text index `chunk` rows at a time (all at once when omitted), then its
 * triggers, the rank table and the facet table. Until the last step ran, the version must receive no other write.
 */
export function* buildSteps(
  db: Database.Database,
  aside: SetAside,
  schema: IndexSchema,
  chunk?: number,
): Generator<() => void> {
  const { tid } = aside;
  for (const sql of aside.indexes) yield () => db.exec(sql);
  const d = docsTable(tid);
  const f = ftsTable(tid);
  if (chunk === undefined) {
    yield () => {
      // A larger buffer of pending terms for the rebuild (FTS5's default is 1 MB): fewer, larger segments to
      // write and merge, a fifth less work. Set back to the default for the row-by-row writes that follow.
      db.exec(`INSERT INTO ${f}(${f}, rank) VALUES ('hashsize', ${REBUILD_HASH_BYTES})`);
      db.exec(`INSERT INTO ${f}(${f}) VALUES ('rebuild')`);
      db.exec(`INSERT INTO ${f}(${f}, rank) VALUES ('hashsize', ${FTS5_DEFAULT_HASH_BYTES})`);
    };
  } else {
    const cols = searchableFields(schema).map((n) => column(schema, n));
    const fill = db.prepare(
      `INSERT INTO ${f}(rowid, ${cols.join(', ')}) SELECT rowid, ${cols.join(', ')} FROM ${d}
       WHERE rowid > ? AND rowid <= ?`,
    );
    const upTo = db
      .prepare(`SELECT max(rowid) FROM (SELECT rowid FROM ${d} WHERE rowid > ? ORDER BY rowid LIMIT ?)`)
      .pluck();
    let after = 0;
    let done = false;
    while (!done) {
      yield () => {
        const last = upTo.get(after, chunk) as number | null;
        if (last === null) {
          done = true;
          return;
        }
        fill.run(after, last);
        after = last;
      };
    }
  }
  yield () => {
    for (const sql of createFtsSql(tid, schema)) if (sql.startsWith('CREATE TRIGGER')) db.exec(sql);
    for (const sql of createRankSql(tid, schema)) db.exec(sql);
    for (const sql of createFacetSql(tid, schema)) db.exec(sql);
    for (const sql of createListSql(tid, schema)) db.exec(sql);
    for (const sql of createVectorSql(tid, schema)) db.exec(sql);
  };
}
