import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { SiftError } from '../../errors.js';
import type {
  KnnCandidate,
  KnnRequest,
  SearchRequest,
  SearchResult,
  SuggestRequest,
  Suggestion,
} from '../../query/types.js';
import type { Document } from '../../schema/document.js';
import type { IndexSchema } from '../../schema/types.js';
import type {
  BulkItem,
  BulkLoadHooks,
  ByFilterOutcome,
  ByFilterRequest,
  BulkLoadMode,
  Engine,
  EngineHealth,
  ExportPage,
  ExportPageRequest,
  IndexInfo,
  ReindexOptions,
  ReindexResult,
} from '../engine.js';
import { bulkLoad } from './bulk-load.js';
import {
  createFacetSql,
  createListSql,
  createVectorSql,
  dropVectorSql,
  vectorColumns,
  createFtsSql,
  createIndexSql,
  createRankSql,
  dataColumns,
  docsTable,
  dropFacetSql,
  dropListSql,
  dropFtsSql,
  dropRankSql,
  dropVersionSql,
  facetColumns,
  listFields,
  facetLogTable,
  facetTable,
  ftsTable,
  rankIndex,
  rankTable,
  searchableFields,
  secondaryIndexSql,
} from './ddl.js';
import { tableExists } from './statements.js';
import { matchingDocuments } from './by-filter.js';
import { ensureFacetTables } from './facet-migration.js';
import { allocateTid, ensureMetaTable, parseJob, type IndexRow } from './meta.js';
import { configureWriter, openDatabase } from './open-database.js';
import { SchemaChangedError, VersionDroppedError } from './read-errors.js';
import { InlineReads, ReadPool, type Reads } from './read-pool.js';
import type { ReadTask } from './read-task.js';
import { Versioning } from './versioning.js';
import { versionWriter, type VersionWriter } from './version-writer.js';

/**
 * Gives the rank table of every live and kept version made before the popularity index its index (one sort of
 * the table, once: 11 s on a million documents on a heavily loaded 2-core machine): broad queries read their
 * candidates through it.
 */
function ensureRankIndexes(db: Database.Database): void {
  db.transaction(() => {
    const tids = db
      .prepare(
        `SELECT tid FROM sift_indexes UNION SELECT prev_tid FROM sift_indexes WHERE prev_tid IS NOT NULL`,
      )
      .pluck()
      .all() as number[];
    for (const tid of tids)
      if (tableExists(db, rankTable(tid)))
        db.exec(`CREATE INDEX IF NOT EXISTS ${rankIndex(tid)} ON ${rankTable(tid)}(b)`);
  }).immediate();
}

/**
 * The embedded engine: one SQLite database in DATA_DIR holding every index. WAL with synchronous=FULL means a
 * write is on disk when its promise resolves, so an acknowledged write survives kill -9 and power loss; readers
 * never block the writer.
 */
export class SqliteEngine implements Engine {
  readonly name = 'embedded';
  private db: Database.Database | null = null;
  private readonly indexes = new Map<string, VersionWriter>();
  private current: Database.Statement | null = null;
  private versioning: Versioning | null = null;

  private pool: Reads | null = null;
  /** Set while open() waits for the file: a second open() joins it instead of opening another connection. */
  private opening: Promise<void> | null = null;
  /**
   * Set while a bulk load holds a transaction open across awaits: every other use of the connection waits for
   * it, or its statements would join that transaction (and be acknowledged before they are durable). Waiters
   * loop `while (this.loading) await this.loading;` right before their synchronous statements, so the last
   * check and the statements run in the same turn of the event loop and no load can start in between.
   */
  private loading: Promise<void> | null = null;

  /**
   * `readers`: threads that run searches off the event loop (default 2, one per core of a small machine); 0 reads
   * on the calling thread, for a process that makes a few reads and exits.
   */
  constructor(private readonly opts: { dataDir: string; file?: string; readers?: number }) {}

  get path(): string {
    return join(this.opts.dataDir, this.opts.file ?? 'sift.db');
  }

  async open(): Promise<void> {
    if (this.db) return;
    this.opening ??= this.connect().finally(() => (this.opening = null));
    return this.opening;
  }

  private async connect(): Promise<void> {
    mkdirSync(this.opts.dataDir, { recursive: true });
    const db = await openDatabase(this.path);
    configureWriter(db);
    ensureMetaTable(db);
    ensureRankIndexes(db);
    ensureFacetTables(db);
    this.db = db;
    this.current = db.prepare('SELECT tid, schema FROM sift_indexes WHERE name = ?');
    this.versioning = new Versioning(
      db,
      (name) => this.row(name),
      () => this.loading,
    );
    // The reader threads start with the first search: a command that only writes (an import) never pays for
    // them (each is a whole V8 instance, ~100 MB and a second of start-up).
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
      this.current = null;
      this.versioning = null;
      this.indexes.clear();
    }
  }

  private get conn(): Database.Database {
    if (!this.db) throw new SiftError('ENGINE_UNAVAILABLE', 'the embedded engine is closed');
    return this.db;
  }

  private get readers(): Reads {
    if (!this.db) throw new SiftError('ENGINE_UNAVAILABLE', 'the embedded engine is closed');
    const threads = this.opts.readers ?? 2;
    this.pool ??= threads === 0 ? new InlineReads(this.path) : new ReadPool(this.path, threads);
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

  /**
   * The version the name points at now. Checked against the meta row on every call (one primary-key lookup), so
   * a reindex, rollback or schema change made by another process or thread is noticed before the next statement;
   * writers call it inside their transaction, where no switch can slip in between.
   */
  private handle(name: string): VersionWriter {
    if (!this.current) throw new SiftError('ENGINE_UNAVAILABLE', 'the embedded engine is closed');
    const now = this.current.get(name) as { tid: number; schema: string } | undefined;
    if (!now) {
      this.indexes.delete(name);
      throw new SiftError('INDEX_NOT_FOUND', `index "${name}" does not exist`, { index: name });
    }
    const cached = this.indexes.get(name);
    if (cached && cached.tid === now.tid && cached.schemaText === now.schema) return cached;
    const open = versionWriter(this.conn, now.tid, JSON.parse(now.schema) as IndexSchema, now.schema);
    this.indexes.set(name, open);
    return open;
  }

  private get versions(): Versioning {
    if (!this.versioning) throw new SiftError('ENGINE_UNAVAILABLE', 'the embedded engine is closed');
    return this.versioning;
  }

  private info(row: IndexRow): IndexInfo {
    const d = docsTable(row.tid);
    const documents = (this.conn.prepare(`SELECT count(*) AS n FROM ${d}`).get() as { n: number }).n;
    let size: number | null = null;
    try {
      // Every table and index belonging to this index: the documents, the FTS5 shadow tables, the rank and
      // facet tables.
      const objects = this.conn
        .prepare(
          `SELECT name FROM sqlite_schema WHERE tbl_name = ? OR tbl_name LIKE ? OR tbl_name IN (?, ?, ?)`,
        )
        .all(d, `${ftsTable(row.tid)}%`, rankTable(row.tid), facetTable(row.tid), facetLogTable(row.tid)) as {
        name: string;
      }[];
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
      version: row.version,
      previous_version: row.prev_version,
    };
  }

  async listIndexes(): Promise<IndexInfo[]> {
    while (this.loading) await this.loading;
    const rows = this.conn.prepare('SELECT * FROM sift_indexes ORDER BY name').all() as IndexRow[];
    return rows.map((r) => this.info(r));
  }

  async getIndex(name: string): Promise<IndexInfo | null> {
    while (this.loading) await this.loading;
    const row = this.row(name);
    return row ? this.info(row) : null;
  }

  /**
   * The schema alone, for the service's once-a-second schema check on the search path: getIndex also counts the
   * documents and sums the index's pages (a scan of tens to hundreds of milliseconds on the event loop).
   */
  async getSchema(name: string): Promise<IndexSchema | null> {
    while (this.loading) await this.loading;
    if (!this.current) throw new SiftError('ENGINE_UNAVAILABLE', 'the embedded engine is closed');
    const row = this.current.get(name) as { schema: string } | undefined;
    return row ? (JSON.parse(row.schema) as IndexSchema) : null;
  }

  async hasIndex(name: string): Promise<boolean> {
    return this.row(name) !== undefined;
  }

  async putIndex(name: string, schema: IndexSchema): Promise<{ created: boolean }> {
    while (this.loading) await this.loading;
    const db = this.conn;
    let existing: IndexRow | undefined;
    const apply = db.transaction(() => {
      existing = this.row(name);
      if (!existing) {
        const tid = allocateTid(db);
        for (const sql of createIndexSql(tid, schema)) db.exec(sql);
        db.prepare('INSERT INTO sift_indexes (name, tid, schema, created_at) VALUES (?, ?, ?, ?)').run(
          name,
          tid,
          JSON.stringify(schema),
          new Date().toISOString(),
        );
        return;
      }
      // A change in place while a reindex copies the old layout would be lost at the switch.
      this.versions.checkNoJob(existing);
      // A compatible change: add the new columns, index what became filterable, and rebuild the text index
      // only when the set of searchable fields changed (boosts are query-time weights and need nothing).
      const old = JSON.parse(existing.schema) as IndexSchema;
      const have = new Set(dataColumns(old).map((c) => c.col));
      for (const c of dataColumns(schema)) {
        if (!have.has(c.col))
          db.exec(`ALTER TABLE ${docsTable(existing.tid)} ADD COLUMN ${c.col} ${c.sqlType}`);
      }
      for (const sql of secondaryIndexSql(existing.tid, schema)) db.exec(sql);
      // An FTS5 table's tokenizer is fixed when it is created: a new analyzer rebuilds it too.
      if (
        searchableFields(old).join() !== searchableFields(schema).join() ||
        (old.analyzer ?? 'standard') !== (schema.analyzer ?? 'standard')
      ) {
        for (const sql of dropFtsSql(existing.tid)) db.exec(sql);
        for (const sql of createFtsSql(existing.tid, schema)) db.exec(sql);
        const f = ftsTable(existing.tid);
        db.exec(`INSERT INTO ${f}(${f}) VALUES ('rebuild')`);
      }
      if (JSON.stringify(old.ranking.popularity) !== JSON.stringify(schema.ranking.popularity)) {
        for (const sql of dropRankSql(existing.tid)) db.exec(sql);
        for (const sql of createRankSql(existing.tid, schema)) db.exec(sql);
      }
      if (facetColumns(old).join() !== facetColumns(schema).join()) {
        for (const sql of dropFacetSql(existing.tid)) db.exec(sql);
        for (const sql of createFacetSql(existing.tid, schema)) db.exec(sql);
      }
      if (listFields(old).join() !== listFields(schema).join()) {
        for (const sql of dropListSql(existing.tid)) db.exec(sql);
        for (const sql of createListSql(existing.tid, schema)) db.exec(sql);
      }
      if (vectorColumns(old).join() !== vectorColumns(schema).join()) {
        for (const sql of dropVectorSql(existing.tid)) db.exec(sql);
        for (const sql of createVectorSql(existing.tid, schema)) db.exec(sql);
      }
      db.prepare('UPDATE sift_indexes SET schema = ?, generation = generation + 1 WHERE name = ?').run(
        JSON.stringify(schema),
        name,
      );
    });
    apply.immediate();
    this.indexes.delete(name);
    return { created: !existing };
  }

  async dropIndex(name: string): Promise<boolean> {
    while (this.loading) await this.loading;
    const db = this.conn;
    // Every version goes: the live one, the one kept for rollback and one a reindex is building (that reindex
    // notices at its next batch and stops).
    const dropped = db
      .transaction(() => {
        const row = this.row(name);
        if (!row) return false;
        const tids = new Set([row.tid, row.prev_tid, parseJob(row)?.tid]);
        for (const tid of tids) if (tid != null) for (const sql of dropVersionSql(tid)) db.exec(sql);
        db.prepare('DELETE FROM sift_indexes WHERE name = ?').run(name);
        return true;
      })
      .immediate();
    this.indexes.delete(name);
    return dropped;
  }

  private bump(name: string): void {
    this.conn.prepare('UPDATE sift_indexes SET generation = generation + 1 WHERE name = ?').run(name);
  }

  async upsert(index: string, item: BulkItem): Promise<{ created: boolean }> {
    return (await this.bulkUpsert(index, [item]))[0]!;
  }

  async bulkUpsert(index: string, items: BulkItem[]): Promise<{ created: boolean }[]> {
    while (this.loading) await this.loading;
    // One transaction per batch: one fsync for the lot, and all-or-nothing if the process dies mid-way. It takes
    // the write lock up front and looks the version up inside it, so a write can never land in a version that a
    // reindex switched away from a moment earlier.
    const write = this.conn.transaction((batch: BulkItem[]) => {
      const idx = this.handle(index);
      const docs = batch.map((item) => ({ ...item.document, [idx.schema.id_field]: item.id }));
      const out = idx.writeMany(docs).map((created) => ({ created }));
      this.bump(index);
      return out;
    });
    return write.immediate(items);
  }

  async bulkLoad(
    index: string,
    batches: AsyncIterable<BulkItem[]>,
    hooks: BulkLoadHooks,
  ): Promise<BulkLoadMode> {
    while (this.loading) await this.loading;
    let release = () => {};
    this.loading = new Promise<void>((resolve) => (release = resolve));
    try {
      return await bulkLoad(
        {
          db: this.conn,
          path: this.path,
          index,
          handle: () => this.handle(index),
          hasJob: () => parseJob(this.row(index)!) !== null,
          bump: () => this.bump(index),
        },
        batches,
        hooks,
      );
    } finally {
      this.loading = null;
      release();
    }
  }

  async get(index: string, id: string): Promise<Document | null> {
    while (this.loading) await this.loading;
    const src = this.handle(index).source(id);
    return src !== undefined ? (JSON.parse(src) as Document) : null;
  }

  async patch(index: string, id: string, change: (current: Document) => Document): Promise<Document | null> {
    while (this.loading) await this.loading;
    // Read, change and write inside one IMMEDIATE transaction: it holds the database's write lock from the read
    // on, so no other write (of this process or another) can land between them. A throwing `change` rolls back.
    const rmw = this.conn.transaction(() => {
      const idx = this.handle(index);
      const src = idx.source(id);
      if (src === undefined) return null;
      const next = { ...change(JSON.parse(src) as Document), [idx.schema.id_field]: id };
      idx.write(next);
      this.bump(index);
      return next;
    });
    return rmw.immediate();
  }

  async delete(index: string, id: string): Promise<boolean> {
    while (this.loading) await this.loading;
    const remove = this.conn.transaction(() => {
      const changed = this.handle(index).remove(id);
      if (changed) this.bump(index);
      return changed;
    });
    return remove.immediate();
  }

  /** Counts, refuses above the limit, and deletes in one IMMEDIATE transaction: all of it or none. */
  async deleteByFilter(index: string, request: ByFilterRequest): Promise<ByFilterOutcome> {
    while (this.loading) await this.loading;
    const run = this.conn.transaction(() => {
      const idx = this.handle(index);
      const matches = matchingDocuments(this.conn, index, idx, request);
      let changed = 0;
      for (const { id } of matches) if (idx.remove(id)) changed++;
      if (changed) this.bump(index);
      return { matched: matches.length, changed };
    });
    return run.immediate();
  }

  /** Like deleteByFilter: read, change and write every match in one transaction; a throwing change undoes all. */
  async updateByFilter(
    index: string,
    request: ByFilterRequest,
    change: (current: Document) => Document,
  ): Promise<ByFilterOutcome> {
    while (this.loading) await this.loading;
    const run = this.conn.transaction(() => {
      const idx = this.handle(index);
      const matches = matchingDocuments(this.conn, index, idx, request);
      for (const { id, document } of matches) idx.write({ ...change(document), [idx.schema.id_field]: id });
      if (matches.length) this.bump(index);
      return { matched: matches.length, changed: matches.length };
    });
    return run.immediate();
  }

  async reindex(name: string, opts: ReindexOptions = {}): Promise<ReindexResult> {
    while (this.loading) await this.loading;
    try {
      return await this.versions.reindex(name, opts);
    } finally {
      this.indexes.delete(name);
    }
  }

  async rollbackReindex(name: string): Promise<ReindexResult> {
    while (this.loading) await this.loading;
    try {
      return await this.versions.rollback(name);
    } finally {
      this.indexes.delete(name);
    }
  }

  /**
   * Runs a read on a reader thread against the live version. A read that was handed a version which a switch
   * (here or in another process) dropped before the thread got to it is run again on the new one.
   */
  private async read<T>(index: string, task: (idx: VersionWriter) => ReadTask) {
    for (let attempt = 0; ; attempt++) {
      const idx = this.handle(index);
      try {
        return await this.readers.run<T>(task(idx));
      } catch (err) {
        // Another process changed the schema (a reindex) after this request was checked against the old one.
        if (err instanceof SchemaChangedError) {
          this.indexes.delete(index);
          throw new SiftError(
            'INVALID_REQUEST',
            `index "${index}" changed its schema while this request was being checked; a field it names no longer exists, retry`,
            { index },
            { cause: err },
          );
        }
        if (attempt >= 2 || !(err instanceof VersionDroppedError)) throw err;
        this.indexes.delete(index);
      }
    }
  }

  async search(index: string, request: SearchRequest): Promise<SearchResult> {
    return this.read<SearchResult>(index, (idx) => ({
      op: 'search',
      tid: idx.tid,
      schema: idx.schema,
      request,
    }));
  }

  /** Exact kNN over the vector table, on a reader thread like every search (see knn.ts). */
  async knn(index: string, request: KnnRequest): Promise<KnnCandidate[]> {
    return this.read<KnnCandidate[]>(index, (idx) => ({
      op: 'knn',
      tid: idx.tid,
      schema: idx.schema,
      request,
    }));
  }
  async exportPage(index: string, request: ExportPageRequest): Promise<ExportPage> {
    return this.read<ExportPage>(index, (idx) => ({
      op: 'export',
      tid: idx.tid,
      schema: idx.schema,
      request,
    }));
  }

  async suggest(index: string, request: SuggestRequest): Promise<Suggestion[]> {
    return this.read<Suggestion[]>(index, (idx) => ({
      op: 'suggest',
      tid: idx.tid,
      schema: idx.schema,
      request,
    }));
  }
}
