import type Database from 'better-sqlite3';
import { FACET_LOG_KEEP, facetLogTable, facetTable } from './ddl.js';
import { parseRowids } from './rowid-list.js';
import { cached, tableExists } from './statements.js';

/**
 * Facet columns kept in memory per reader connection, so that counting the facets of a broad match (hundreds of
 * thousands of rows) is one pass over an array instead of a lookup per matching row in the facet table and a
 * sort of every value (GROUP BY). Each column is dictionary-coded: `ids[rowid]` is the index of the row's value
 * in `values`, 0 for none (NULL, or no row).
 *
 * A column belongs to one snapshot of its facet table. It is read whole once, then kept current from the facet
 * table's change log (ddl.ts): each search first reads the log's last sequence number inside its own read
 * transaction, and patches in the rows changed since, reading the table whole again when too many changed or
 * the log was trimmed past it. A changed schema (a facet table rebuilt, a version dropped and its number
 * reused) drops every column of the connection.
 */

/** A value as SQLite hands it over (integers beyond 2^53 lose precision, as everywhere in the engine). */
export type CellValue = number | string | bigint | Buffer | null;

export class FacetColumn {
  /** Per rowid, the index of its value in `values`; 0 for none. */
  ids: Int32Array;
  /** The dictionary; index 0 is NULL. Values no row holds any more stay (counted 0) until the next full read. */
  readonly values: CellValue[] = [null];
  private readonly idOf = new Map<CellValue, number>();
  /** Rows holding a value that is not a number (text, blob): ranges and stats are then left to SQL. */
  nonNumbers = 0;
  /** Rows holding a number that is not a safe integer: stats are then left to SQL (its sums are exact). */
  nonIntegers = 0;

  constructor(size: number) {
    this.ids = new Int32Array(size);
  }

  private idFor(value: CellValue): number {
    if (value === null) return 0;
    // A blob is keyed by its bytes, as SQLite groups it.
    const key = Buffer.isBuffer(value) ? `\u0000blob:${value.toString('hex')}` : value;
    let id = this.idOf.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.idOf.set(key, id);
    }
    return id;
  }

  private tally(id: number, by: number): void {
    if (id === 0) return;
    const v = this.values[id];
    if (typeof v !== 'number') this.nonNumbers += by;
    else if (!Number.isSafeInteger(v)) this.nonIntegers += by;
  }

  /** Sets a row's value (null: the row has none or is gone). */
  set(rowid: number, value: CellValue): void {
    if (rowid >= this.ids.length) {
      const grown = new Int32Array(Math.max(rowid + 1, Math.ceil(this.ids.length * 1.5)));
      grown.set(this.ids);
      this.ids = grown;
    }
    this.tally(this.ids[rowid]!, -1);
    const id = this.idFor(value);
    this.ids[rowid] = id;
    this.tally(id, 1);
  }
}

interface TableColumns {
  /** The schema version and log position the columns are current with. */
  schema: number;
  seq: number;
  columns: Map<string, FacetColumn>;
}

const byConnection = new WeakMap<Database.Database, Map<number, TableColumns>>();

/** What this thread's columns cost so far: tables read whole, and rows patched in from the change log. */
export const facetColumnActivity = { readWhole: 0, patchedRows: 0 };

/**
 * Changes patched in at most (a lookup each, about 2 µs): as many as the log keeps, so a reader searching while
 * an import writes tens of thousands of documents a second patches instead of reading the table again.
 */
const PATCH_AT = FACET_LOG_KEEP;

/**
 * Reads `names` of the facet table whole into new columns: the rowids as one `group_concat` string, then each
 * column's values on their own, in the same (rowid) order. One plucked column costs a third of what rows of
 * several values cost to hand over (1M rows of two columns: 0.6 s against 1.7 s).
 */
function readWhole(db: Database.Database, tid: number, names: string[]): FacetColumn[] {
  const x = facetTable(tid);
  const list = cached(db, `SELECT group_concat(rowid, ',' ORDER BY rowid) FROM ${x}`).pluck().get() as
    string | null;
  const rowids = parseRowids(list);
  const top = rowids.length ? rowids[rowids.length - 1]! : 0;
  facetColumnActivity.readWhole++;
  return names.map((name) => {
    const column = new FacetColumn(top + 1);
    const values = cached(db, `SELECT ${name} FROM ${x} ORDER BY rowid`).pluck().all() as CellValue[];
    for (let i = 0; i < rowids.length; i++) column.set(rowids[i]!, values[i]!);
    return column;
  });
}

/**
 * The facet columns `names` of version `tid` as of the caller's read transaction, read or brought up to date
 * here; null when the version has no change log or when `build` is false and a column would have to be read
 * whole (the caller then counts with SQL, which for a narrow match is cheaper than reading the table).
 */
export function facetColumns(
  db: Database.Database,
  tid: number,
  names: string[],
  build: boolean,
): FacetColumn[] | null {
  // A facet table made before the log existed may still lack it, for a reader that opened before the migration.
  if (!tableExists(db, facetLogTable(tid))) return null;
  const schema = cached(db, 'PRAGMA schema_version').pluck().get() as number;
  const seq =
    (cached(db, `SELECT max(seq) FROM ${facetLogTable(tid)}`)
      .pluck()
      .get() as number | null) ?? 0;
  let tables = byConnection.get(db);
  if (!tables) byConnection.set(db, (tables = new Map()));
  let t = tables.get(tid);
  if (t && t.schema !== schema) {
    tables.clear();
    t = undefined;
  }
  if (t && t.seq !== seq && !catchUp(db, tid, t, seq)) {
    tables.delete(tid);
    t = undefined;
  }
  if (!t) tables.set(tid, (t = { schema, seq, columns: new Map() }));
  const missing = names.filter((n) => !t.columns.has(n));
  if (missing.length) {
    if (!build) return null;
    readWhole(db, tid, missing).forEach((c, i) => t.columns.set(missing[i]!, c));
  }
  return names.map((n) => t.columns.get(n)!);
}

/** Patches the rows changed since `t.seq` into its columns; false when it cannot (too many, or trimmed past). */
function catchUp(db: Database.Database, tid: number, t: TableColumns, seq: number): boolean {
  const xl = facetLogTable(tid);
  const first = cached(db, `SELECT min(seq) FROM ${xl}`).pluck().get() as number | null;
  if (first === null || first > t.seq + 1) return false;
  const changed = cached(db, `SELECT DISTINCT rid FROM ${xl} WHERE seq > ? AND seq <= ? LIMIT ?`)
    .pluck()
    .all(t.seq, seq, PATCH_AT + 1) as number[];
  if (changed.length > PATCH_AT) return false;
  const names = [...t.columns.keys()];
  if (names.length && changed.length) {
    const rows = cached(
      db,
      `SELECT rowid, ${names.join(', ')} FROM ${facetTable(tid)} WHERE rowid IN (SELECT value FROM json_each(?))`,
    )
      .raw()
      .all(JSON.stringify(changed)) as CellValue[][];
    const present = new Map(rows.map((r) => [r[0] as number, r]));
    const columns = names.map((n) => t.columns.get(n)!);
    facetColumnActivity.patchedRows += changed.length;
    for (const rowid of changed) {
      const row = present.get(rowid);
      columns.forEach((c, i) => c.set(rowid, row ? row[i + 1]! : null));
    }
  }
  t.seq = seq;
  return true;
}
