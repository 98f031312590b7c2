// @services chromium
// The analytics page (GET /analytics) driven in Debian's Chromium against a real listening server with analytics
// on (the SQLite store) that requires credentials: a scripted workload of known searches and clicks goes through
// the API, then the page must show exactly the API's numbers and the workload's, after the admin key flow, over
// another window and one index, at phone width, with no request to anywhere but the server. A server with
// analytics off shows why there is nothing. Screenshots go to ./output/ (not committed).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../../src/auth/api-keys.js';
import { EngineKeyStore } from '../../../src/auth/key-store.js';
import { DOCS, SCHEMA } from '../../support/app.js';
import {
  foreignRequests,
  launchBrowser,
  openSession,
  SLOW_MACHINE,
  type Session,
} from '../../support/browser.js';
import { seededServer } from '../../support/seeded-server.js';
import { STRONG_SECRET } from '../../integration/auth/auth-server.js';

const OUTPUT = join(fileURLToPath(new URL('.', import.meta.url)), 'output');
const DAY = 86_400_000;

let browser: Browser;
beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

interface ReportRow {
  index: string;
  query: string;
  [column: string]: unknown;
}

/** The rows of a report's table as the page shows them: the exact value of each number cell, by column. */
function tableRows(page: Page, table: string, columns: string[]) {
  return page.locator(`#${table} tbody tr`).evaluateAll(
    (rows, names) =>
      rows.map((row) => {
        const cells = [...row.querySelectorAll('td')].map((td) => td.getAttribute('data-value'));
        const out: Record<string, unknown> = {
          index: row.getAttribute('data-index'),
          query: row.getAttribute('data-query'),
        };
        names.forEach((name, i) => (out[name] = cells[i] === '' ? null : Number(cells[i])));
        return out;
      }),
    columns,
  );
}

/** The bars of a chart: what each is labelled and the value it was drawn for. */
const chartBars = (page: Page, chart: string) =>
  page.locator(`#${chart} .bar-row`).evaluateAll((rows) =>
    rows.map((g) => ({
      label: g.getAttribute('data-label'),
      value: Number(g.getAttribute('data-value')),
      width: Number(g.querySelector('rect')!.getAttribute('width')),
    })),
  );

/** Waits until the status line names the range of the reports shown. */
const loaded = (page: Page) =>
  page
    .locator('#status')
    .filter({ hasText: / UTC\.$/ })
    .waitFor();

describe('the analytics page, on a server with analytics on (SQLite store)', SLOW_MACHINE, () => {
  const server = seededServer('sift-analytics-page-', {
    ENVIRONMENT: 'staging',
    JWT_SECRET: STRONG_SECRET,
    RATE_LIMIT_ENABLED: 'false',
    ANALYTICS_FLUSH_MS: '50',
  });
  let admin = '';
  let search = '';
  let session: Session | undefined;

  /** An API call with the admin key, as the page makes it. */
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    const keys = new ApiKeys(new EngineKeyStore(server.engine), 0);
    admin = (await keys.create({ name: 'analytics', scopes: ['admin'], indexes: null, expiresAt: null })).key;
    search = (await keys.create({ name: 'page', scopes: ['search'], indexes: null, expiresAt: null })).key;
    await server.service.putIndex('other', SCHEMA);
    await server.service.importDocuments('other', DOCS.slice(0, 2));

    const call = async (method: string, path: string, body?: unknown, expected = 200) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${search}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(res.status, `${method} ${path}`).toBe(expected);
      return (await res.json()) as { total?: number };
    };
    // The workload: books gets dune x3 (spelled three ways), emma x2, xyzzy x2 (nothing found); other gets dune x1.
    await call('GET', '/api/indexes/books/search?q=dune');
    await call('GET', '/api/indexes/books/search?q=Dune');
    await call('POST', '/api/indexes/books/search', { q: '  DUNE ' });
    await call('GET', '/api/indexes/books/search?q=emma');
    await call('POST', '/api/indexes/books/search', { q: 'Emma' });
    expect((await call('GET', '/api/indexes/books/search?q=xyzzy')).total).toBe(0);
    await call('GET', '/api/indexes/books/search?q=xyzzy');
    await call('GET', '/api/indexes/other/search?q=dune');
    // Clicks: dune at ranks 1 and 3 (average 2), emma at rank 1.
    const click = (q: string, id: string, position: number) =>
      call('POST', '/api/events', { type: 'click', index: 'books', q, id, position }, 202);
    await click('dune', 'dune', 1);
    await click('Dune', 'dune-messiah', 3);
    await click('emma', 'emma', 1);
    // The buffer is flushed off the requests every 50 ms: wait until every search and click is in the store.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { queries } = await api<{ queries: { searches: number; clicks: number }[] }>(
        '/api/analytics/clicks?window=1h',
      );
      const searches = queries.reduce((n, q) => n + q.searches, 0);
      const clicks = queries.reduce((n, q) => n + q.clicks, 0);
      if (searches === 8 && clicks === 3) break;
      if (Date.now() > deadline) throw new Error(`the store holds ${searches} searches and ${clicks} clicks`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  beforeEach(() => {
    session = undefined;
  });
  afterEach(async () => {
    if (!session) return;
    expect(foreignRequests(session, server.url)).toEqual([]);
    expect(session.problems).toEqual([]);
    await session.context.close();
  });

  /** Opens the page and gives it the admin key, after checking that a search key is refused. */
  async function openWithKey(path: string, viewport?: { width: number; height: number }) {
    session = await openSession(browser, server.url, path, viewport);
    const { page } = session;
    await page.locator('#key-panel').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('key');
    await page.locator('#key').fill(search);
    await page.locator('#key').press('Enter');
    await page
      .locator('#key-message')
      .filter({ hasText: /admin scope/ })
      .waitFor();
    await page.locator('#key').fill(admin);
    await page.locator('#key').press('Enter');
    await loaded(page);
    expect(await page.locator('#key-panel').isHidden()).toBe(true);
    return page;
  }

  it('shows the numbers of the API and of the known workload, in charts and tables', async () => {
    const page = await openWithKey('/analytics');

    type Top = { queries: ReportRow[] };
    const top = await api<Top>('/api/analytics/top-queries?window=24h&limit=10');
    expect(await tableRows(page, 'top-table', ['searches', 'no_results'])).toEqual(top.queries);
    const topCounts = Object.fromEntries(top.queries.map((q) => [`${q.index}: ${q.query}`, q.searches]));
    expect(topCounts).toEqual({ 'books: dune': 3, 'books: emma': 2, 'books: xyzzy': 2, 'other: dune': 1 });
    // The chart draws the same numbers, the longest bar for the most searched query.
    const bars = await chartBars(page, 'top-chart');
    expect(bars.map((b) => [b.label, b.value])).toEqual(
      top.queries.map((q) => [`${q.index}: ${q.query}`, q.searches]),
    );
    expect(bars[0]!.width).toBeGreaterThan(bars.at(-1)!.width);
    // Drawn with two decimals.
    expect(bars.at(-1)!.width * 3).toBeCloseTo(bars[0]!.width, 1);
    expect(await page.locator('#top-chart svg > title').textContent()).toBe(
      'Top queries: searches per query',
    );

    const none = await api<Top>('/api/analytics/no-results?window=24h&limit=10');
    expect(none.queries).toEqual([{ index: 'books', query: 'xyzzy', searches: 2 }]);
    expect(await tableRows(page, 'no-results-table', ['searches'])).toEqual(none.queries);
    expect((await chartBars(page, 'no-results-chart')).map((b) => b.label)).toEqual(['books: xyzzy']);

    const clicks = await api<Top>('/api/analytics/clicks?window=24h&limit=10');
    expect(
      await tableRows(page, 'clicks-table', [
        'searches',
        'clicks',
        'conversions',
        'ctr',
        'avg_click_position',
      ]),
    ).toEqual(clicks.queries);
    const dune = page.locator('#clicks-table tr[data-index="books"][data-query="dune"]');
    expect(await dune.locator('td').allTextContents()).toEqual(['3', '2', '0', '66.7%', '2']);
    const emma = page.locator('#clicks-table tr[data-index="books"][data-query="emma"]');
    expect(await emma.locator('td').allTextContents()).toEqual(['2', '1', '0', '50.0%', '1']);
    // The inline bar of a CTR is that share of its cell.
    expect(await emma.locator('td').nth(3).locator('rect.bar').getAttribute('width')).toBe('50');

    const latency = await api<{ indexes: Record<string, unknown>[] }>(
      '/api/analytics/latency?window=24h&limit=10',
    );
    expect(latency.indexes.map((r) => [r.index, r.searches])).toEqual([
      ['books', 7],
      ['other', 1],
    ]);
    expect(
      await page.locator('#latency-table tbody tr').evaluateAll((rows) =>
        rows.map((row) => ({
          index: row.getAttribute('data-index'),
          ...Object.fromEntries(
            [...row.querySelectorAll('td')].map((td, i) => [
              ['searches', 'p50_ms', 'p95_ms', 'p99_ms'][i],
              Number(td.getAttribute('data-value')),
            ]),
          ),
        })),
      ),
    ).toEqual(latency.indexes);
    const drawn = await page
      .locator('#latency-chart rect.bar')
      .evaluateAll((rects) =>
        rects.map(
          (r) =>
            `${r.getAttribute('data-group')} ${r.getAttribute('data-series')} ${r.getAttribute('data-value')}`,
        ),
      );
    expect(drawn).toEqual(
      latency.indexes.flatMap((r) => [
        `${r.index} p50 ${r.p50_ms}`,
        `${r.index} p95 ${r.p95_ms}`,
        `${r.index} p99 ${r.p99_ms}`,
      ]),
    );
    await page.screenshot({ path: join(OUTPUT, 'analytics.png'), fullPage: true });
  });

  it('switches the window and the index from the keyboard, keeping them in the URL', async () => {
    const page = await openWithKey('/analytics');
    const span = async () => {
      const { from, to } = await page.locator('#status').evaluate((s) => ({ ...(s as HTMLElement).dataset }));
      return Date.parse(to!) - Date.parse(from!);
    };
    expect(await span()).toBe(DAY);
    await page.locator('#window').focus();
    await page.keyboard.press('ArrowDown');
    await page.waitForURL(/\/analytics\?window=7d$/);
    await expect.poll(span).toBe(7 * DAY);
    const requested = session!.requests.map((r) => r.url).filter((u) => u.includes('/api/analytics/'));
    expect(requested.filter((u) => u.includes('window=7d'))).toHaveLength(4);
    // The same workload, all within the last day.
    expect((await tableRows(page, 'top-table', ['searches', 'no_results'])).length).toBe(4);

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('index');
    await page.locator('#index').selectOption('books');
    await page.waitForURL(/\/analytics\?window=7d&index=books$/);
    await page
      .locator('#status')
      .filter({ hasText: /^Index books, / })
      .waitFor();
    const books = await api<{ queries: ReportRow[] }>(
      '/api/analytics/top-queries?window=7d&limit=10&index=books',
    );
    expect(await tableRows(page, 'top-table', ['searches', 'no_results'])).toEqual(books.queries);
    // With one index chosen the labels name the query alone.
    expect((await chartBars(page, 'top-chart')).map((b) => b.label)).toEqual(
      books.queries.map((q) => q.query),
    );
    expect(await page.locator('#latency-table tbody tr').count()).toBe(1);

    // A reload in the same session keeps the key and the choices.
    await page.reload();
    await page
      .locator('#status')
      .filter({ hasText: /^Index books, / })
      .waitFor();
    expect(await page.locator('#window').inputValue()).toBe('7d');
    expect(await page.locator('#key-panel').isHidden()).toBe(true);
  });

  it('fits a phone-width screen', async () => {
    const page = await openWithKey('/analytics?window=30d', { width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const chart = await page.locator('#top-chart svg').boundingBox();
    expect(chart!.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(OUTPUT, 'analytics-phone.png'), fullPage: true });
  });
});

describe('the analytics page, on a server with analytics off', SLOW_MACHINE, () => {
  const server = seededServer('sift-analytics-off-', { ANALYTICS_ENABLED: 'false' });

  it('says analytics is turned off instead of showing empty charts', async () => {
    const session = await openSession(browser, server.url, '/analytics');
    const { page } = session;
    await page
      .locator('#status')
      .filter({ hasText: /ANALYTICS_ENABLED=false/ })
      .waitFor();
    expect(await page.locator('#status').textContent()).toMatch(
      /^Search analytics is turned off on this server/,
    );
    expect(await page.locator('#report-list').isHidden()).toBe(true);
    expect(await page.locator('#key-panel').isHidden()).toBe(true);
    expect(foreignRequests(session, server.url)).toEqual([]);
    expect(session.problems).toEqual([]);
    await session.context.close();
  });
});
