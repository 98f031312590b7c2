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
  idIndex,
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
  /**
   * The unique index on id, as declared, when it was set aside too (see setAside): built before the others. Until
   * then the version enforces no unique id, and the load must insert each id once.
   */
  idIndex?: string;
}

/** Whether a version holds no document: a load into it may set aside what is derived and build it once. */
export function holdsNoDocuments(db: Database.Database, tid: number): boolean {
  return db.prepare(`SELECT 1 FROM ${docsTable(tid)} LIMIT 1`).get() === undefined;
}

/**
 * Drops the derived structures of a version whose text index holds nothing yet (no rows, or a new version). The
 * unique index on id stays, so the load's upserts find the ids it stored, unless `withIdIndex` asks for it too:
 * then the load must keep its ids unique itself (an upsert cannot run without it). A version made before the
 * index was declared on its own keeps its id constraint either way (`idIndex` is then absent).
 */
export function setAside(db: Database.Database, tid: number, { withIdIndex = false } = {}): SetAside {
  const d = docsTable(tid);
  // The id's automatic index (older versions) has no SQL and cannot be dropped.
  const declared = db
    .prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`)
    .all(d) as { name: string; sql: string }[];
  const ids = declared.find((i) => i.name === idIndex(tid));
  const indexes = declared.filter((i) => i !== ids);
  const idsAside = withIdIndex ? ids : undefined;
  for (const { name } of idsAside ? [idsAside, ...indexes] : indexes)
    db.exec(`DROP INDEX "${name.replace(/"/g, '""')}"`);
  for (const sql of dropFtsSql(tid)) if (sql.startsWith('DROP TRIGGER')) db.exec(sql);
  for (const sql of dropRankSql(tid)) db.exec(sql);
  for (const sql of dropFacetSql(tid)) db.exec(sql);
  for (const sql of dropListSql(tid)) db.exec(sql);
  for (const sql of dropVectorSql(tid)) db.exec(sql);
  return {
    tid,
    indexes: indexes.map((i) => i.sql),
    ...(idsAside ? { idIndex: idsAside.sql } : {}),
  };
}

/** Builds the unique index on id that setAside set aside, now rather than at the end (the load met an id twice). */
export function restoreIdIndex(db: Database.Database, aside: SetAside): void {
  if (aside.idIndex === undefined) return;
  db.exec(aside.idIndex);
  delete aside.idIndex;
}

/** How buildSteps builds the text index. */
export interface TextBuild {
  /** Rows per step (in a transaction of its own, the caller's choice); all at once when omitted. */
  chunk?: number;
  /** Every row is in the text index already (a textIndexer kept it up): only its triggers are made. */
  indexed?: boolean;
}

/** The text index's buffer of pending terms (FTS5's default is 1 MB) while a load builds it in large steps. */
function largeTextBuffer(db: Database.Database, f: string): void {
  db.exec(`INSERT INTO ${f}(${f}, rank) VALUES ('hashsize', ${REBUILD_HASH_BYTES})`);
}

/** Back to the default, for the row-by-row writes that follow a load. */
function defaultTextBuffer(db: Database.Database, f: string): void {
  db.exec(`INSERT INTO ${f}(${f}, rank) VALUES ('hashsize', ${FTS5_DEFAULT_HASH_BYTES})`);
}

/**
 * The text index of a version filled as a load into it inserts rows, instead of once at the end: where the
 * load's rows are inserted on a thread that has time to spare while the next batch is parsed, the indexing
 * moves off the end of the load. `indexNew` indexes the rows inserted since its last call; it is only right
 * while the load inserts new rows (a row replaced after it was indexed would leave its old text in the index),
 * so a load that replaces one has its text index rebuilt at the end instead. Until buildSteps ran with
 * `indexed`, the version must receive no other write.
 */
export function textIndexer(db: Database.Database, tid: number, schema: IndexSchema) {
  const d = docsTable(tid);
  const f = ftsTable(tid);
  const cols = searchableFields(schema).map((n) => column(schema, n));
  const fill = db.prepare(
    `INSERT INTO ${f}(rowid, ${cols.join(', ')}) SELECT rowid, ${cols.join(', ')} FROM ${d}
     WHERE rowid > ? AND rowid <= ?`,
  );
  const last = db.prepare(`SELECT max(rowid) FROM ${d}`).pluck();
  let upTo = 0;
  // Pending terms are flushed as segments when the buffer fills: the large one of a rebuild, until buildSteps
  // (with `indexed`) sets the default back.
  largeTextBuffer(db, f);
  return {
    indexNew(): void {
      const top = (last.get() as number | null) ?? 0;
      if (top > upTo) fill.run(upTo, top);
      upTo = top;
    },
  };
}

/**
 * The build of what setAside dropped, as steps that each may run in a transaction of their own (the caller's
 * choice): every B-tree index, the text index (see TextBuild), then its triggers, the rank table and the facet
 * table. Until the last step ran, the version must receive no other write.
 */
export function* buildSteps(
  db: Database.Database,
  aside: SetAside,
  schema: IndexSchema,
  text: TextBuild = {},
): Generator<() => void> {
  const { tid } = aside;
  yield () => restoreIdIndex(db, aside);
  for (const sql of aside.indexes) yield () => db.exec(sql);
  const d = docsTable(tid);
  const f = ftsTable(tid);
  const { chunk, indexed } = text;
  if (indexed) {
    yield () => defaultTextBuffer(db, f);
  } else if (chunk === undefined) {
    yield () => {
      // A larger buffer of pending terms for the rebuild: fewer, larger segments to write and merge, a fifth
      // less work.
      largeTextBuffer(db, f);
      db.exec(`INSERT INTO ${f}(${f}) VALUES ('rebuild')`);
      defaultTextBuffer(db, f);
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
