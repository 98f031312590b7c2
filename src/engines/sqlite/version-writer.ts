import type Database from 'better-sqlite3';
import { toEpochMs, type Document } from '../../schema/document.js';
import type { IndexSchema } from '../../schema/types.js';
import { valuesAt } from '../../schema/paths.js';
import { dataColumns, docsTable, ITEM_SEPARATOR } from './ddl.js';

/**
 * Rows per multi-row statement of writeMany, at most: each statement costs the text index one flush (a new
 * segment, merged later), and the statement's bound values stay well below SQLite's limit (32,766) whatever the
 * number of columns. 4,000 rows instead of 1,000 took ~10% less CPU over a live import of the 227k-package
 * corpus (batches of 20,000; the packages schema's 7 columns allow 4,285).
 */
const MAX_ROWS_PER_STATEMENT = 4000;
const MAX_VALUES_PER_STATEMENT = 30_000;

/** The documents of one multi-row statement: their ids in order and every row's values in one flat list. */
export interface StatementRows {
  ids: string[];
  values: unknown[];
}

/** Prepared writes into one physical version (one documents table) under one schema. */
export interface VersionWriter {
  readonly tid: number;
  readonly schema: IndexSchema;
  /** The schema as stored in the meta table: a cheap way to notice that another process changed it. */
  readonly schemaText: string;
  /** Inserts or replaces a document that already carries its id in the id field. */
  upsert(doc: Document): void;
  /** Like upsert, and tells whether the document was new: one id lookup for a new document instead of two. */
  write(doc: Document): boolean;
  /**
   * write for many documents in order (a later one with the same id replaces the earlier), a few statements for
   * the lot: whether each was new.
   */
  writeMany(docs: Document[]): boolean[];
  /** writeMany in two steps: the documents as statement values (plain data, which can cross to a thread)... */
  rows(docs: Document[]): StatementRows[];
  /** ...and the statements themselves, on this writer's connection: whether each document was new. */
  writeRows(rows: StatementRows[]): boolean[];
  /**
   * Plain inserts of rows whose ids the version does not hold and that repeat none (the caller knows): no id
   * lookups, and no unique index needed (a load sets it aside, derived.ts).
   */
  insertRows(rows: StatementRows[]): void;
  exists(id: string): boolean;
  remove(id: string): boolean;
  /** The stored JSON of a document, or undefined. */
  source(id: string): string | undefined;
}

export function versionWriter(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  schemaText = JSON.stringify(schema),
): VersionWriter {
  const cols = dataColumns(schema);
  const d = docsTable(tid);
  const names = ['id', 'src', ...cols.map((c) => c.col)];
  const exists = db.prepare(`SELECT 1 FROM ${d} WHERE id = ?`).pluck();
  // Many documents per statement. FTS5 writes its pending text to a new segment of the index whenever a
  // statement opens a savepoint, which a statement whose triggers write the text index always does: one
  // document per statement made one tiny segment per document, and merging those was ~80% of a live import.
  const perStatement = Math.max(
    1,
    Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_VALUES_PER_STATEMENT / names.length)),
  );
  const rowSql = `(${names.map(() => '?').join(', ')})`;
  const statements = new Map<string, Database.Statement>();
  /** `n` rows in one statement: a plain insert, an insert that skips an id held already, or an upsert. */
  const sizedSql = (kind: 'upsert' | 'insert' | 'insertNew' | 'existing', n: number): string => {
    if (kind === 'existing') return `SELECT id FROM ${d} WHERE id IN (${Array(n).fill('?').join(', ')})`;
    const insert = `INSERT INTO ${d} (${names.join(', ')}) VALUES ${Array(n).fill(rowSql).join(', ')}`;
    if (kind === 'insert') return insert;
    // DO NOTHING is an upsert clause, not a conflict policy, so the triggers' own statements are unaffected.
    if (kind === 'insertNew') return `${insert} ON CONFLICT(id) DO NOTHING`;
    return `${insert} ON CONFLICT(id) DO UPDATE SET ${names
      .slice(1)
      .map((c) => `${c} = excluded.${c}`)
      .join(', ')}`;
  };
  const upsert = db.prepare(sizedSql('upsert', 1));
  const insert = db.prepare(sizedSql('insertNew', 1));
  const sized = (kind: 'upsert' | 'insert' | 'existing', n: number): Database.Statement => {
    const key = `${kind}:${n}`;
    let stmt = statements.get(key);
    if (!stmt) {
      stmt = db.prepare(sizedSql(kind, n));
      if (kind === 'existing') stmt.pluck();
      // The full size is reused batch after batch; a last, shorter part is kept only until the next one.
      if (n !== perStatement)
        for (const k of statements.keys()) if (!k.endsWith(`:${perStatement}`)) statements.delete(k);
      statements.set(key, stmt);
    }
    return stmt;
  };
  const remove = db.prepare(`DELETE FROM ${d} WHERE id = ?`);
  const source = db.prepare(`SELECT src FROM ${d} WHERE id = ?`).pluck();
  // Typed columns: dates as epoch milliseconds and booleans as 0/1, so SQL can filter, sort and facet them.
  const typed = (type: string, v: unknown): unknown => {
    if (type === 'boolean') return v ? 1 : 0;
    if (type === 'date') return toEpochMs(v) ?? null;
    return v;
  };
  // What each column needs of the schema, looked up once instead of once per document.
  const columns = cols.map(({ field }) => ({
    field,
    spec: schema.fields[field]!,
    nested: field.includes('.'),
  }));
  const idField = schema.id_field;
  /** A row's values (id, src, then the columns) appended to `out`: one list for a multi-row statement. */
  const pushRow = (out: unknown[], doc: Document): void => {
    out.push(doc[idField], JSON.stringify(doc));
    for (const { field, spec, nested } of columns) {
      const top = nested || !Object.hasOwn(doc, field) ? undefined : doc[field];
      // The common case, one value at the top level, without the walk (valuesAt) and its lists.
      if (!nested && !spec.array && !Array.isArray(top)) {
        out.push(top === undefined || top === null ? null : typed(spec.type, top));
        continue;
      }
      const all = valuesAt(doc, field);
      if (!spec.array) out.push(all.length ? typed(spec.type, all[0]) : null);
      else if (!all.length) out.push(null);
      // Distinct values: a facet counts a document once per value, whatever the list repeats.
      else if (spec.type === 'text') out.push(all.join(` ${ITEM_SEPARATOR} `));
      else out.push(JSON.stringify([...new Set(all.map((v) => typed(spec.type, v)))]));
    }
  };
  const toRow = (doc: Document): unknown[] => {
    const row: unknown[] = [];
    pushRow(row, doc);
    return row;
  };
  const rows = (docs: Document[]): StatementRows[] => {
    const out: StatementRows[] = [];
    for (let i = 0; i < docs.length; i += perStatement) {
      const end = Math.min(docs.length, i + perStatement);
      const part: StatementRows = { ids: [], values: [] };
      for (let j = i; j < end; j++) {
        part.ids.push(docs[j]![idField] as string);
        pushRow(part.values, docs[j]!);
      }
      out.push(part);
    }
    return out;
  };
  const writeRows = (parts: StatementRows[]): boolean[] => {
    const created: boolean[] = [];
    const seen = new Set<string>();
    for (const { ids, values } of parts) {
      const existing = new Set(sized('existing', ids.length).all(...ids) as string[]);
      for (const id of ids) {
        created.push(!existing.has(id) && !seen.has(id));
        seen.add(id);
      }
      sized('upsert', ids.length).run(...values);
    }
    return created;
  };
  return {
    tid,
    schema,
    schemaText,
    upsert: (doc) => void upsert.run(...toRow(doc)),
    write: (doc) => {
      const row = toRow(doc);
      if (insert.run(...row).changes > 0) return true;
      upsert.run(...row);
      return false;
    },
    writeMany: (docs) => writeRows(rows(docs)),
    rows,
    writeRows,
    insertRows: (parts) => {
      for (const { ids, values } of parts) sized('insert', ids.length).run(...values);
    },
    exists: (id) => exists.get(id) !== undefined,
    remove: (id) => remove.run(id).changes > 0,
    source: (id) => source.get(id) as string | undefined,
  };
}
