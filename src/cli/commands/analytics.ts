import type { Command } from 'commander';
import { openAnalyticsStore } from '../../analytics/open.js';
import { DEFAULT_LIMIT, reportRange } from '../../analytics/range.js';
import type { AnalyticsStore } from '../../analytics/store.js';
import type { ReportRange } from '../../analytics/types.js';
import { SiftError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { formatNumber, renderTable } from '../format.js';

interface ReportOptions {
  index?: string;
  window?: string;
  from?: string;
  to?: string;
  limit?: string;
  json?: boolean;
}

/** One report: how it reads the store, and its table (head, rows, right-aligned columns). */
interface Report {
  description: string;
  key: 'queries' | 'indexes';
  read(store: AnalyticsStore, range: ReportRange): Promise<object[]>;
  table(rows: object[]): { head: string[]; rows: string[][]; right: number[] };
}

const n = (v: number) => formatNumber(v);
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const ms = (v: number) => formatNumber(v, 1);

/* eslint-disable @typescript-eslint/no-explicit-any -- each table reads the rows its own report returned */
const REPORTS: Record<string, Report> = {
  top: {
    description: 'the most searched queries',
    key: 'queries',
    read: (s, r) => s.topQueries(r),
    table: (rows: any[]) => ({
      head: ['index', 'query', 'searches', 'no results'],
      rows: rows.map((r) => [r.index, r.query || '(match all)', n(r.searches), n(r.no_results)]),
      right: [2, 3],
    }),
  },
  'no-results': {
    description: 'queries that found nothing',
    key: 'queries',
    read: (s, r) => s.noResults(r),
    table: (rows: any[]) => ({
      head: ['index', 'query', 'searches'],
      rows: rows.map((r) => [r.index, r.query || '(match all)', n(r.searches)]),
      right: [2],
    }),
  },
  clicks: {
    description: 'click-through rate and average click position per query',
    key: 'queries',
    read: (s, r) => s.clicks(r),
    table: (rows: any[]) => ({
      head: ['index', 'query', 'searches', 'clicks', 'CTR', 'avg position', 'conversions'],
      rows: rows.map((r) => [
        r.index,
        r.query || '(match all)',
        n(r.searches),
        n(r.clicks),
        pct(r.ctr),
        r.avg_click_position === null ? '-' : formatNumber(r.avg_click_position),
        n(r.conversions),
      ]),
      right: [2, 3, 4, 5, 6],
    }),
  },
  latency: {
    description: 'search latency percentiles per index',
    key: 'indexes',
    read: (s, r) => s.latency(r),
    table: (rows: any[]) => ({
      head: ['index', 'searches', 'p50 ms', 'p95 ms', 'p99 ms'],
      rows: rows.map((r) => [r.index, n(r.searches), ms(r.p50_ms), ms(r.p95_ms), ms(r.p99_ms)]),
      right: [1, 2, 3, 4],
    }),
  },
};
/* eslint-enable @typescript-eslint/no-explicit-any */

function limitOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new SiftError('INVALID_REQUEST', `--limit: expected an integer from 1 to 1000, got "${value}"`);
  return limit;
}

/**
 * `sift analytics top|no-results|clicks|latency`: the reports of /api/analytics, read from the configured store
 * (the SQLite file in DATA_DIR, or PostgreSQL with DATABASE_URL) without a running server.
 */
export function registerAnalyticsCommands(program: Command, ctx: CliContext): void {
  const analytics = program
    .command('analytics')
    .description('search analytics: top queries, queries without results, clicks, latency');
  for (const [name, report] of Object.entries(REPORTS)) {
    analytics
      .command(name)
      .description(report.description)
      .option('-i, --index <index>', 'only this index (default: every index)')
      .option('-w, --window <window>', 'the last 30m, 24h (default), 7d, 2w...')
      .option('--from <time>', 'start instead of a window: ISO-8601 time or epoch milliseconds')
      .option('--to <time>', 'end (exclusive; default now)')
      .option('-l, --limit <n>', `rows (default ${DEFAULT_LIMIT})`)
      .option('--json', 'print the report as the API answers it')
      .action(async (opts: ReportOptions) => {
        const config = ctx.config();
        if (!config.ANALYTICS_ENABLED)
          throw new SiftError('ANALYTICS_DISABLED', 'analytics is turned off (ANALYTICS_ENABLED=false)');
        const limit = limitOf(opts.limit);
        const range = reportRange(
          {
            ...(opts.index === undefined ? {} : { index: opts.index }),
            ...(opts.window === undefined ? {} : { window: opts.window }),
            ...(opts.from === undefined ? {} : { from: opts.from }),
            ...(opts.to === undefined ? {} : { to: opts.to }),
            ...(limit === undefined ? {} : { limit }),
          },
          Date.now(),
        );
        // No analytics file yet: nothing was recorded, and a report creates none.
        const store = await openAnalyticsStore(config, { readOnly: true });
        let rows: object[] = [];
        if (store) {
          try {
            rows = await report.read(store, range);
          } finally {
            await store.close();
          }
        }
        const from = new Date(range.from).toISOString();
        const to = new Date(range.to).toISOString();
        if (opts.json) {
          const answer = { from, to, index: range.index ?? null, [report.key]: rows };
          ctx.stdout.write(JSON.stringify(answer, null, 2) + '\n');
          return;
        }
        const where = range.index ? `index ${range.index}` : 'every index';
        ctx.stdout.write(`${report.description}, ${where}, ${from} to ${to}\n`);
        if (rows.length === 0) {
          ctx.stdout.write('nothing recorded in this range\n');
          return;
        }
        const t = report.table(rows);
        ctx.stdout.write(renderTable(t.head, t.rows, { stream: ctx.stdout, alignRight: t.right }) + '\n');
      });
  }
}
