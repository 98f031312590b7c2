import type { Suggestion } from '../query/types.js';
import { normalizeQuery } from './normalize.js';
import { DAY_MS, dayOf } from './popularity.js';
import type { AnalyticsStore } from './store.js';
import type { PopularQuery } from './types.js';

/** Which queries may be suggested to everyone (docs/operations.md, "Popular queries as suggestions"). */
export interface SuggestionRule {
  /** Distinct principals (all anonymous callers as one) who searched the query with hits. */
  minPrincipals: number;
  /** Or anonymous searches with hits; 0: anonymous searches alone never make a query popular. */
  minAnonymous: number;
  /** The window: today (UTC) and the days before it, this many in all. */
  days: number;
}

/** Popular queries held in memory at most, over every index: the most searched. */
export const MAX_POPULAR_QUERIES = 10_000;

/** A popular query offered as a completion: it leads to a search, not to one document, so it has no id. */
export interface PopularSuggestion {
  text: string;
  source: 'popular';
}

interface Completions {
  /** Sorted by code unit, so the queries with one prefix are one run. */
  queries: string[];
  searches: number[];
}

export interface PopularQueriesOptions {
  refreshMs: number;
  onError?: (err: unknown) => void;
  /** For tests: the clock. */
  now?: () => number;
}

/**
 * The popular queries each index may suggest, held in memory and reloaded from the store on a timer (the store's
 * GROUP BY runs once a refresh, never per request), so a suggestion request only searches a sorted array. A
 * failed reload keeps the queries already held (and is reported).
 */
export class PopularQueries {
  private byIndex = new Map<string, Completions>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly now: () => number;

  constructor(
    private readonly store: AnalyticsStore,
    private readonly rule: SuggestionRule,
    private readonly opts: PopularQueriesOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Loads now and then every `refreshMs` (an unref'd timer: it never keeps a process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.opts.refreshMs);
    this.timer.unref();
    void this.refresh();
  }

  /** Reloads the popular queries from the store. */
  async refresh(): Promise<void> {
    let rows: PopularQuery[];
    try {
      rows = await this.store.popularQueries({
        since: dayOf(this.now()) - (this.rule.days - 1) * DAY_MS,
        minPrincipals: this.rule.minPrincipals,
        minAnonymous: this.rule.minAnonymous,
        limit: MAX_POPULAR_QUERIES,
      });
    } catch (err) {
      // A reload still running when the server shut down meets a closed store: nothing to report.
      if (!this.closed) this.opts.onError?.(err);
      return;
    }
    const byIndex = new Map<string, PopularQuery[]>();
    for (const r of rows) {
      const list = byIndex.get(r.index);
      if (list) list.push(r);
      else byIndex.set(r.index, [r]);
    }
    const next = new Map<string, Completions>();
    for (const [index, list] of byIndex) {
      list.sort((a, b) => (a.query < b.query ? -1 : a.query > b.query ? 1 : 0));
      next.set(index, { queries: list.map((r) => r.query), searches: list.map((r) => r.searches) });
    }
    this.byIndex = next;
  }

  /**
   * Up to `size` popular queries of the index that start with what was typed (normalized as a search's query
   * is), most searched first, ties in code-unit order.
   */
  complete(index: string, typed: string, size: number): string[] {
    const prefix = normalizeQuery(typed);
    const completions = this.byIndex.get(index);
    if (!prefix || !completions) return [];
    const { queries, searches } = completions;
    let lo = 0;
    let hi = queries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (queries[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    // The best `size` of the run, kept in order as the run is read (size is at most 50).
    const best: number[] = [];
    const better = (a: number, b: number) =>
      searches[a]! > searches[b]! || (searches[a] === searches[b] && a < b);
    for (let i = lo; i < queries.length && queries[i]!.startsWith(prefix); i++) {
      if (best.length === size && !better(i, best[size - 1]!)) continue;
      let at = best.length === size ? size - 1 : best.length;
      while (at > 0 && better(i, best[at - 1]!)) {
        best[at] = best[at - 1]!;
        at--;
      }
      best[at] = i;
    }
    return best.map((i) => queries[i]!);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/**
 * The answer of a suggestion request with popular queries: up to half of `size` (rounded up) are popular queries,
 * first, the rest the index's own; when either side has fewer, the other fills the places. A popular query that
 * an index suggestion already spells (normalized alike) is left out: the index's has the document id.
 */
export function mergeSuggestions(
  documents: readonly Suggestion[],
  popular: readonly string[],
  size: number,
): (Suggestion | PopularSuggestion)[] {
  const spelled = new Set(documents.map((d) => normalizeQuery(d.text)));
  const queries = popular.filter((q) => !spelled.has(q));
  const fromPopular = Math.min(queries.length, Math.max(Math.ceil(size / 2), size - documents.length));
  return [
    ...queries.slice(0, fromPopular).map((text): PopularSuggestion => ({ text, source: 'popular' })),
    ...documents.slice(0, size - fromPopular),
  ];
}
