import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SiftError } from '../../errors.js';
import type { SearchRequest, SearchResult, SuggestRequest, Suggestion } from '../../query/types.js';
import { toEpochMs, type Document } from '../../schema/document.js';
import type { IndexSchema } from '../../schema/types.js';
import type { BulkItem, Engine, EngineHealth, IndexInfo } from '../engine.js';
import {
  createFtsSql,
  createIndexSql,
  createRankSql,
  dataColumns,
  docsTable,
  dropFtsSql,
  dropRankSql,
  ftsTable,
  rankTable,
  searchableFields,
  secondaryIndexSql,
} from './ddl.js';
import { ReadPool } from './read-pool.js';

interface IndexRow {
  name: string;
  tid: number;
  schema: string;
  created_at: string;
  generation: number;
}

interface OpenIndex {
  tid: number;
  schema: IndexSchema;
  upsert: Database.Statement;
  exists: Database.Statement;
  toRow: (doc: Document) => unknown[];
}

/**
 * The embedded engine: one SQLite database in DATA_DIR holding every index. WAL with synchronous=FULL means a
 * write is on disk when its promise resolves, so an acknowledged write survives kill -9 and power loss; readers
 * never block the writer.
 */
export class SqliteEngine implements Engine {
  readonly name = 'embedded';
  private db: Database.Database | null = null;
  private readonly indexes = new Map<string, OpenIndex>();

  private pool: ReadPool | null = null;

  /** `readers`: threads that run searches off the event loop (default 2, one per core of a small machine). */
  constructor(private readonly opts: { dataDir: string; file?: string; readers?: number }) {}

  get path(): string {
    return join(this.opts.dataDir, this.opts.file ?? 'sift.db');
  }

  async open(): Promise<void> {
    if (this.db) return;
    mkdirSync(this.opts.dataDir, { recursive: true });
    const db = new Database(this.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    // Page cache and mmap sized for a search workload: reads dominate and the text index is hot.
    db.pragma('cache_size = -65536');
    db.pragma('mmap_size = 268435456');
    db.exec(`CREATE TABLE IF NOT EXISTS sift_indexes (
      name TEXT PRIMARY KEY, tid INTEGER NOT NULL UNIQUE, schema TEXT NOT NULL,
      created_at TEXT NOT NULL, generation INTEGER NOT NULL DEFAULT 0)`);
    this.db = db;
    this.pool = new ReadPool(this.path, this.opts.readers ?? 2);
  }

  async close(): Promise<void> {
    if (!this.db) return;
    await this.pool?.close();
    this.pool = null;
    try {
      this.db.pragma('optimize');
    } finally {
      this.db.close();
      this.db = null;
      this.indexes.clear();
    }
  }

  private get conn(): Database.Database {
    if (!this.db) throw new SiftError('ENGINE_UNAVAILABLE', 'the embedded engine is closed');
    return this.db;
  }

  private get readers(): ReadPool {
    if (!this.pool) throw new SiftError('ENGINE_UNAVAILABLE', 'the embedded engine is closed');
    return this.pool;
  }

  async health(): Promise<EngineHealth> {
    try {
      const v = this.conn.prepare('SELECT sqlite_version() AS v').get() as { v: string };
      return { ok: true, engine: this.name, version: `sqlite ${v.v}` };
    } catch (err) {
      return { ok: false, engine: this.name, version: 'unknown', detail: (err as Error).message };
    }
  }

  private row(name: string): IndexRow | undefined {
    return this.conn.prepare('SELECT * FROM sift_indexes WHERE name = ?').get(name) as IndexRow | undefined;
  }

  private handle(name: string): OpenIndex {
    const cached = this.indexes.get(name);
    if (cached) return cached;
    const row = this.row(name);
    if (!row) throw new SiftError('INDEX_NOT_FOUND', `index "${name}" does not exist`, { index: name });
    const schema = JSON.parse(row.schema) as IndexSchema;
    const cols = dataColumns(schema);
    const d = docsTable(row.tid);
    const names = ['id', 'src', ...cols.map((c) => c.col)];
    const upsert = this.conn.prepare(
      `INSERT INTO ${d} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ` +
        `ON CONFLICT(id) DO UPDATE SET ${names
          .slice(1)
          .map((n) => `${n} = excluded.${n}`)
          .join(', ')}`,
    );
    const toRow = (doc: Document): unknown[] => {
      const values = cols.map(({ field }) => {
        const v = doc[field];
        if (v === undefined || v === null) return null;
        const type = schema.fields[field]!.type;
        if (type === 'boolean') return v ? 1 : 0;
        if (type === 'date') return toEpochMs(v) ?? null;
        return v;
      });
      return [doc[schema.id_field], JSON.stringify(doc), ...values];
    };
    const open: OpenIndex = {
      tid: row.tid,
      schema,
      upsert,
      exists: this.conn.prepare(`SELECT 1 FROM ${d} WHERE id = ?`),
      toRow,
    };
    this.indexes.set(name, open);
    return open;
  }

  private info(row: IndexRow): IndexInfo {
    const d = docsTable(row.tid);
    const documents = (this.conn.prepare(`SELECT count(*) AS n FROM ${d}`).get() as { n: number }).n;
    let size: number | null = null;
    try {
      // Every table and index belonging to this index: the documents, the FTS5 shadow tables, the rank table.
      const objects = this.conn
        .prepare(`SELECT name FROM sqlite_schema WHERE tbl_name = ? OR tbl_name LIKE ? OR tbl_name = ?`)
        .all(d, `${ftsTable(row.tid)}%`, rankTable(row.tid)) as { name: string }[];
      const pages = this.conn.prepare(
        `SELECT coalesce(sum(pgsize), 0) AS b FROM dbstat WHERE name = ? AND aggregate = TRUE`,
      );
      size = objects.reduce((sum, o) => sum + (pages.get(o.name) as { b: number }).b, 0);
    } catch {
      size = null;
    }
    return {
      name: row.name,
      schema: JSON.parse(row.schema),
      documents,
      size_bytes: size,
      created_at: row.created_at,
      generation: row.generation,
    };
  }

  async listIndexes(): Promise<IndexInfo[]> {
    const rows = this.conn.prepare('SELECT * FROM sift_indexes ORDER BY name').all() as IndexRow[];
    return rows.map((r) => this.info(r));
  }

  async getIndex(name: string): Promise<IndexInfo | null> {
    const row = this.row(name);
    return row ? this.info(row) : null;
  }

  async hasIndex(name: string): Promise<boolean> {
    return this.row(name) !== undefined;
  }

  async putIndex(name: string, schema: IndexSchema): Promise<{ created: boolean }> {
    const db = this.conn;
    const existing = this.row(name);
    const apply = db.transaction(() => {
      if (!existing) {
        const tid =
          ((db.prepare('SELECT max(tid) AS t FROM sift_indexes').get() as { t: number | null }).t ?? 0) + 1;
        for (const sql of createIndexSql(tid, schema)) db.exec(sql);
        db.prepare('INSERT INTO sift_indexes (name, tid, schema, created_at) VALUES (?, ?, ?, ?)').run(
          name,
          tid,
          JSON.stringify(schema),
          new Date().toISOString(),
        );
        return;
      }
      // A compatible change: add the new columns, index what became filterable, and rebuild the text index
      // only when the set of searchable fields changed (boosts are query-time weights and need nothing).
      const old = JSON.parse(existing.schema) as IndexSchema;
      const have = new Set(dataColumns(old).map((c) => c.col));
      for (const c of dataColumns(schema)) {
        if (!have.has(c.col))
          db.exec(`ALTER TABLE ${docsTable(existing.tid)} ADD COLUMN ${c.col} ${c.sqlType}`);
      }
      for (const sql of secondaryIndexSql(existing.tid, schema)) db.exec(sql);
      if (searchableFields(old).join() !== searchableFields(schema).join()) {
        for (const sql of dropFtsSql(existing.tid)) db.exec(sql);
        for (const sql of createFtsSql(existing.tid, schema)) db.exec(sql);
        const f = ftsTable(existing.tid);
        db.exec(`INSERT INTO ${f}(${f}) VALUES ('rebuild')`);
      }
      if (JSON.stringify(old.ranking.popularity) !== JSON.stringify(schema.ranking.popularity)) {
        for (const sql of dropRankSql(existing.tid)) db.exec(sql);
        for (const sql of createRankSql(existing.tid, schema)) db.exec(sql);
      }
      db.prepare('UPDATE sift_indexes SET schema = ?, generation = generation + 1 WHERE name = ?').run(
        JSON.stringify(schema),
        name,
      );
    });
    apply();
    this.indexes.delete(name);
    return { created: !existing };
  }

  async dropIndex(name: string): Promise<boolean> {
    const row = this.row(name);
    if (!row) return false;
    const db = this.conn;
    db.transaction(() => {
      for (const sql of [...dropFtsSql(row.tid), ...dropRankSql(row.tid)]) db.exec(sql);
      db.exec(`DROP TABLE IF EXISTS ${docsTable(row.tid)}`);
      db.prepare('DELETE FROM sift_indexes WHERE name = ?').run(name);
    })();
    this.indexes.delete(name);
    return true;
  }

  private bump(name: string): void {
    this.conn.prepare('UPDATE sift_indexes SET generation = generation + 1 WHERE name = ?').run(name);
  }

  async upsert(index: string, item: BulkItem): Promise<{ created: boolean }> {
    return (await this.bulkUpsert(index, [item]))[0]!;
  }

  async bulkUpsert(index: string, items: BulkItem[]): Promise<{ created: boolean }[]> {
    const idx = this.handle(index);
    // One transaction per batch: one fsync for the lot, and all-or-nothing if the process dies mid-way.
    const write = this.conn.transaction((batch: BulkItem[]) => {
      const out = batch.map((item) => {
        const created = idx.exists.get(item.id) === undefined;
        idx.upsert.run(...idx.toRow({ ...item.document, [idx.schema.id_field]: item.id }));
        return { created };
      });
      this.bump(index);
      return out;
    });
    return write(items);
  }

  async get(index: string, id: string): Promise<Document | null> {
    const idx = this.handle(index);
    const row = this.conn.prepare(`SELECT src FROM ${docsTable(idx.tid)} WHERE id = ?`).get(id) as
      { src: string } | undefined;
    return row ? (JSON.parse(row.src) as Document) : null;
  }

  async delete(index: string, id: string): Promise<boolean> {
    const idx = this.handle(index);
    const remove = this.conn.transaction(() => {
      const changed = this.conn.prepare(`DELETE FROM ${docsTable(idx.tid)} WHERE id = ?`).run(id).changes > 0;
      if (changed) this.bump(index);
      return changed;
    });
    return remove();
  }

  async search(index: string, request: SearchRequest): Promise<SearchResult> {
    const idx = this.handle(index);
    return this.readers.run<SearchResult>({ op: 'search', tid: idx.tid, schema: idx.schema, request });
  }

  async suggest(index: string, request: SuggestRequest): Promise<Suggestion[]> {
    const idx = this.handle(index);
    return this.readers.run<Suggestion[]>({ op: 'suggest', tid: idx.tid, schema: idx.schema, request });
  }
}
