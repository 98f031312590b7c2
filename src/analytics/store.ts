import type {
  EventRecord,
  IndexLatency,
  NoResultQuery,
  PopularQuery,
  QueryClicks,
  QueryCount,
  ReportRange,
  SearchBatch,
} from './types.js';
import type { PopularRule } from './sql.js';

/**
 * Where analytics rows live: the embedded SQLite file (sqlite-store.ts) or PostgreSQL (postgres-store.ts).
 * Both pass one conformance suite (store.conformance.ts), so every report means the same on either.
 */
export interface AnalyticsStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates or upgrades the tables (a schema version table records what ran); safe in several processes. */
  migrate(): Promise<void>;
  /**
   * Writes a flush's rows in one transaction (searches folded by aggregate.ts), and adds the searches that count
   * towards popularity (popularity.ts) to the popularity table.
   */
  insert(searches: SearchBatch, events: readonly EventRecord[]): Promise<void>;
  /** Deletes searches, latencies and events older than `before` (epoch ms); answers how many search and event rows went. */
  deleteBefore(before: number): Promise<number>;
  /** Most searched queries, most first (ties by index, then query). */
  topQueries(range: ReportRange): Promise<QueryCount[]>;
  /** Queries whose searches found nothing, most first. */
  noResults(range: ReportRange): Promise<NoResultQuery[]>;
  /** Per searched query: clicks, conversions, CTR and average click position, most searched first. */
  clicks(range: ReportRange): Promise<QueryClicks[]>;
  /** Latency percentiles per index, by index name. */
  latency(range: ReportRange): Promise<IndexLatency[]>;
  /** The queries that pass the suggestion rule, most searched first (a periodic job's read, never a request's). */
  popularQueries(rule: PopularRule): Promise<PopularQuery[]>;
  /** The schema version the store is at (the highest migration applied). */
  schemaVersion(): Promise<number>;
  /** The column names of the stored tables, for the privacy check. */
  columns(): Promise<Record<string, string[]>>;
  close(): Promise<void>;
}
