import type { SearchInputFields } from './search-input.js';
import type { LatencyRow, SearchBatch, SearchRecord, SearchRow } from './types.js';

/** Search times are kept to the second: the rows of one second share its start. */
export const SEARCH_TIME_RESOLUTION_MS = 1000;

/** Rows of one query and filter scanned in a list before a keyed map takes over (many principals, one query). */
const SCAN_AT_MOST = 16;

type Row = SearchRow;

/** The rows of one (query, filter fields): a short list scanned, then a map once the list grows. */
interface Rows {
  list: Row[];
  keyed: Map<string, Row> | null;
}

interface Latencies {
  at: number;
  index: string;
  /** Microseconds -> searches. Integer keys: a number key would box a double per search. */
  counts: Map<number, number>;
}

const secondOf = (at: number) => at - (at % SEARCH_TIME_RESOLUTION_MS);
const rowKey = (at: number, index: string, hits: number, principal: string) =>
  `${at}\u0000${index}\u0000${hits}\u0000${principal}`;

/**
 * Folds a flush's searches into the rows stores keep (types.ts, SearchRow and LatencyRow): identical searches of
 * one second become one row with a count. A flush of cache hits is mostly the same few hundred requests again and
 * again, and storing a row per search was most of what recording a hit cost; a repeated search now costs a
 * lookup and an increment.
 *
 * Rows are found by the identity of the query-and-filter object (`fields`): the recorder's memo hands out one
 * frozen object per distinct raw input, so a repeated request finds its row without building a key. Two inputs
 * that normalize to the same query (`Dune`, `dune`) keep a row each; reports add rows up, so that is only less
 * folding, never a different answer.
 */
export class SearchAggregator {
  private readonly byFields = new Map<SearchInputFields, Rows>();
  private readonly rows: Row[] = [];
  private readonly latencies: Latencies[] = [];

  add(
    at: number,
    index: string,
    fields: SearchInputFields,
    hits: number,
    latencyMs: number,
    principal: string,
  ): void {
    const second = secondOf(at);
    this.addSearch(second, index, fields, hits, principal);
    this.addLatency(second, index, latencyMs);
  }

  private addSearch(
    second: number,
    index: string,
    fields: SearchInputFields,
    hits: number,
    principal: string,
  ): void {
    let rows = this.byFields.get(fields);
    if (rows === undefined) {
      rows = { list: [], keyed: null };
      this.byFields.set(fields, rows);
    }
    if (rows.keyed === null) {
      for (const r of rows.list)
        if (r.at === second && r.hits === hits && r.index === index && r.principal === principal) {
          r.searches++;
          return;
        }
      if (rows.list.length >= SCAN_AT_MOST) {
        rows.keyed = new Map(rows.list.map((r) => [rowKey(r.at, r.index, r.hits, r.principal), r]));
      }
    }
    const key = rows.keyed === null ? '' : rowKey(second, index, hits, principal);
    const found = rows.keyed?.get(key);
    if (found !== undefined) {
      found.searches++;
      return;
    }
    const row: Row = {
      at: second,
      index,
      query: fields.query,
      filterFields: fields.filterFields,
      hits,
      principal,
      searches: 1,
    };
    this.rows.push(row);
    if (rows.keyed === null) rows.list.push(row);
    else rows.keyed.set(key, row);
  }

  private addLatency(second: number, index: string, latencyMs: number): void {
    // A flush spans a second or two and mostly one index: the bucket is nearly always the last one.
    let bucket: Latencies | undefined;
    for (let i = this.latencies.length - 1; i >= 0; i--) {
      const b = this.latencies[i]!;
      if (b.at === second && b.index === index) {
        bucket = b;
        break;
      }
    }
    if (bucket === undefined) {
      bucket = { at: second, index, counts: new Map() };
      this.latencies.push(bucket);
    }
    // To the microsecond, as a search's latency was always kept.
    const us = Math.round(latencyMs * 1000);
    bucket.counts.set(us, (bucket.counts.get(us) ?? 0) + 1);
  }

  /** The rows of every search added so far. */
  batch(): SearchBatch {
    const latencies: LatencyRow[] = [];
    for (const b of this.latencies)
      for (const [us, searches] of b.counts)
        latencies.push({ at: b.at, index: b.index, latencyMs: us / 1000, searches });
    return { searches: this.rows, latencies };
  }
}

/**
 * The stored rows of searches given one by one (tests, tools): the same folding, with equal queries and filter
 * fields folded together whatever object they came in.
 */
export function aggregateSearches(records: readonly SearchRecord[]): SearchBatch {
  const aggregator = new SearchAggregator();
  const fields = new Map<string, SearchInputFields>();
  for (const r of records) {
    const key = `${r.query}\u0000${r.filterFields.join(',')}`;
    let f = fields.get(key);
    if (f === undefined) {
      f = { query: r.query, filterFields: r.filterFields };
      fields.set(key, f);
    }
    aggregator.add(r.at, r.index, f, r.hits, r.latencyMs, r.principal);
  }
  return aggregator.batch();
}

/** Rows of nothing. */
export const EMPTY_BATCH: SearchBatch = Object.freeze({ searches: [], latencies: [] });

/** For stores and tests: how many searches a batch stands for. */
export const searchesIn = (rows: readonly Pick<SearchRow, 'searches'>[]): number =>
  rows.reduce((n, r) => n + r.searches, 0);
