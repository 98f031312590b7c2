/**
 * What the analytics page asks for and how it shapes the answers: its state (window and index, kept in the URL),
 * the report paths, the rows of each chart and table, and the way numbers are written. No DOM here.
 */
import type { BarDatum, BarGroup } from './charts.js';

export const WINDOWS = ['24h', '7d', '30d'] as const;
export type ReportWindow = (typeof WINDOWS)[number];

export interface AnalyticsState {
  readonly window: ReportWindow;
  /** '' for every index. */
  readonly index: string;
}

export const DEFAULT_STATE: AnalyticsState = { window: '24h', index: '' };

export function stateFromQuery(search: string): AnalyticsState {
  const params = new URLSearchParams(search);
  const window = params.get('window');
  return {
    window: (WINDOWS as readonly string[]).includes(window ?? '')
      ? (window as ReportWindow)
      : DEFAULT_STATE.window,
    index: params.get('index')?.trim() ?? '',
  };
}

/** The URL's query for a state: empty for the default, so `/analytics` stays the plain address. */
export function queryFromState(state: AnalyticsState): string {
  const params = new URLSearchParams();
  if (state.window !== DEFAULT_STATE.window) params.set('window', state.window);
  if (state.index) params.set('index', state.index);
  const query = params.toString();
  return query ? `?${query}` : '';
}

export const REPORTS = ['top-queries', 'no-results', 'clicks', 'latency'] as const;
export type Report = (typeof REPORTS)[number];

/** Rows a chart shows: enough to see the head of the distribution, few enough for a phone. */
export const ROWS = 10;

export function reportPath(report: Report, state: AnalyticsState, limit = ROWS): string {
  const params = new URLSearchParams({ window: state.window, limit: String(limit) });
  if (state.index) params.set('index', state.index);
  return `/api/analytics/${report}?${params.toString()}`;
}

/** The answers, as docs/api.md gives them (the fields the page uses). */
interface Range {
  from: string;
  to: string;
  index: string | null;
}
export interface QueryRow {
  index: string;
  query: string;
  searches: number;
}
export interface TopQueryRow extends QueryRow {
  no_results: number;
}
export interface ClickRow extends QueryRow {
  clicks: number;
  conversions: number;
  ctr: number;
  avg_click_position: number | null;
}
export interface LatencyRow {
  index: string;
  searches: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}
export interface TopQueriesAnswer extends Range {
  queries: TopQueryRow[];
}
export interface NoResultsAnswer extends Range {
  queries: QueryRow[];
}
export interface ClicksAnswer extends Range {
  queries: ClickRow[];
}
export interface LatencyAnswer extends Range {
  indexes: LatencyRow[];
}

/** How a query is named: with its index when the page shows every index, and the empty query spelled out. */
export function queryLabel(row: { index: string; query: string }, state: AnalyticsState): string {
  const text = row.query === '' ? '(empty query)' : row.query;
  return state.index ? text : `${row.index}: ${text}`;
}

export function searchBars(rows: readonly QueryRow[], state: AnalyticsState): BarDatum[] {
  return rows.map((r) => ({ label: queryLabel(r, state), value: r.searches }));
}

export const LATENCY_SERIES = ['p50', 'p95', 'p99'] as const;

export function latencyGroups(rows: readonly LatencyRow[]): BarGroup[] {
  return rows.map((r) => ({ label: r.index, values: [r.p50_ms, r.p95_ms, r.p99_ms] }));
}

/** A count as the API gives it, grouped by thousands only in its display. */
export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** A rate as a percentage with one decimal (0.5 -> "50.0%"). */
export const formatRate = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/** A 1-based average position with at most two decimals; "–" when nothing was clicked. */
export const formatPosition = (position: number | null): string =>
  position === null ? '–' : String(Math.round(position * 100) / 100);

/** Milliseconds with at most one decimal. */
export const formatMs = (ms: number): string => `${Math.round(ms * 10) / 10} ms`;

/** The range the answers cover, as the page heading says it. */
export function rangeText(answer: Range): string {
  const at = (iso: string) => iso.slice(0, 16).replace('T', ' ');
  return `${at(answer.from)} – ${at(answer.to)} UTC`;
}
