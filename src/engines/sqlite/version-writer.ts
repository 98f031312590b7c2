import type Database from 'better-sqlite3';
import { toEpochMs, type Document } from '../../schema/document.js';
import type { IndexSchema } from '../../schema/types.js';
import { valuesAt } from '../../schema/paths.js';
import { dataColumns, docsTable, ITEM_SEPARATOR } from './ddl.js';

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
  const upsert = db.prepare(
    `INSERT INTO ${d} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ` +
      `ON CONFLICT(id) DO UPDATE SET ${names
        .slice(1)
        .map((n) => `${n} = excluded.${n}`)
        .join(', ')}`,
  );
  // DO NOTHING is an upsert clause, not a conflict policy, so the triggers' own statements are unaffected.
  const insert = db.prepare(
    `INSERT INTO ${d} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT(id) DO NOTHING`,
  );
  const exists = db.prepare(`SELECT 1 FROM ${d} WHERE id = ?`).pluck();
  const remove = db.prepare(`DELETE FROM ${d} WHERE id = ?`);
  const source = db.prepare(`SELECT src FROM ${d} WHERE id = ?`).pluck();
  // Typed columns: dates as epoch milliseconds and booleans as 0/1, so SQL can filter, sort and facet them.
  const typed = (type: string, v: unknown): unknown => {
    if (type === 'boolean') return v ? 1 : 0;
    if (type === 'date') return toEpochMs(v) ?? null;
    return v;
  };
  const toRow = (doc: Document): unknown[] => {
    const values = cols.map(({ field }) => {
      const spec = schema.fields[field]!;
      const all = valuesAt(doc, field);
      if (!spec.array) return all.length ? typed(spec.type, all[0]) : null;
      if (!all.length) return null;
      // Distinct values: a facet counts a document once per value, whatever the list repeats.
      if (spec.type === 'text') return all.join(` ${ITEM_SEPARATOR} `);
      return JSON.stringify([...new Set(all.map((v) => typed(spec.type, v)))]);
    });
    return [doc[schema.id_field], JSON.stringify(doc), ...values];
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
    exists: (id) => exists.get(id) !== undefined,
    remove: (id) => remove.run(id).changes > 0,
    source: (id) => source.get(id) as string | undefined,
  };
}
