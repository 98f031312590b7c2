import { packRows } from './packed-rows.js';
import { SqliteAnalyticsStore } from './sqlite-store.js';
import type { AnalyticsStore } from './store.js';
import type { EventRecord, ReportRange, SearchRecord } from './types.js';
import { WriterThread } from './writer-thread.js';

/**
 * The SQLite analytics store of a server: writes (insert batches, the retention delete) run on a writer thread
 * with its own connection to the file, so the main thread's share of a flush is deriving the rows and packing
 * them (packed-rows.ts) into one message. Migrations and reports stay on a connection of this thread: they are
 * rare (startup, an admin's report), and WAL lets them read beside the writer.
 */
export class SqliteThreadStore implements AnalyticsStore {
  readonly kind = 'sqlite' as const;
  private readonly reads: SqliteAnalyticsStore;
  private readonly writer: WriterThread;

  constructor(path: string) {
    this.reads = new SqliteAnalyticsStore(path);
    this.writer = new WriterThread(path);
  }

  migrate(): Promise<void> {
    return this.reads.migrate();
  }

  schemaVersion(): Promise<number> {
    return this.reads.schemaVersion();
  }

  async insert(searches: readonly SearchRecord[], events: readonly EventRecord[]): Promise<void> {
    await this.writer.request({ op: 'insert', rows: packRows(searches, events) });
  }

  deleteBefore(before: number): Promise<number> {
    return this.writer.request({ op: 'delete', before });
  }

  topQueries(range: ReportRange) {
    return this.reads.topQueries(range);
  }

  noResults(range: ReportRange) {
    return this.reads.noResults(range);
  }

  clicks(range: ReportRange) {
    return this.reads.clicks(range);
  }

  latency(range: ReportRange) {
    return this.reads.latency(range);
  }

  columns(): Promise<Record<string, string[]>> {
    return this.reads.columns();
  }

  /** Writes what was handed over before closing (a graceful shutdown loses no acknowledged rows). */
  async close(): Promise<void> {
    await this.writer.close();
    await this.reads.close();
  }
}
