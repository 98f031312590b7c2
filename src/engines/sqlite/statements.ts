import type Database from 'better-sqlite3';

/**
 * Prepared statements per connection, by SQL text. Preparing a query over an FTS5 table costs more than running
 * a selective one (hundreds of microseconds: the virtual table is connected and planned each time), so a reader
 * prepares each distinct statement once. Values always travel as parameters, so the number of distinct texts is
 * bounded by the query shapes; the map is still capped so an unusual mix cannot grow it without end.
 */
const MAX_STATEMENTS = 500;
const byConnection = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function cached(db: Database.Database, sql: string): Database.Statement {
  let map = byConnection.get(db);
  if (!map) byConnection.set(db, (map = new Map()));
  let stmt = map.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    if (map.size >= MAX_STATEMENTS) map.delete(map.keys().next().value!);
    map.set(sql, stmt);
  }
  return stmt;
}

/** Whether the database has a table or an index of that name (a version's side table may predate a feature). */
export function inSchema(db: Database.Database, type: 'table' | 'index', name: string): boolean {
  return cached(db, `SELECT 1 FROM sqlite_schema WHERE type = ? AND name = ?`).get(type, name) !== undefined;
}

export const tableExists = (db: Database.Database, name: string): boolean => inSchema(db, 'table', name);
