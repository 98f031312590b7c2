import { ApiError, callApi, storedKey, storeKey } from '../api.js';
import { el } from '../render.js';
import { groupedBars, horizontalBars, horizontalLayoutFor, inlineBarPercent } from './charts.js';
import { drawGroupedBars, drawHorizontalBars } from './draw.js';
import {
  formatCount,
  formatMs,
  formatPosition,
  formatRate,
  LATENCY_SERIES,
  latencyGroups,
  queryFromState,
  queryLabel,
  rangeText,
  reportPath,
  searchBars,
  stateFromQuery,
  type AnalyticsState,
  type ClicksAnswer,
  type LatencyAnswer,
  type NoResultsAnswer,
  type ReportWindow,
  type TopQueriesAnswer,
} from './reports.js';

/**
 * The analytics page: the four reports of `GET /api/analytics/*` over the chosen window and index, as charts
 * with their tables, with an admin key kept for the session. A newer choice aborts the reports still loading.
 */

/** Its own item: the search page keeps a search key, which cannot read these reports. */
const KEY_ITEM = 'sift-analytics-key';

const byId = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page lacks #${id}`);
  return node as T;
};

const ui = {
  window: byId<HTMLSelectElement>('window'),
  index: byId<HTMLSelectElement>('index'),
  keyPanel: byId<HTMLElement>('key-panel'),
  keyForm: byId<HTMLFormElement>('key-form'),
  keyMessage: byId<HTMLElement>('key-message'),
  key: byId<HTMLInputElement>('key'),
  forgetKey: byId<HTMLButtonElement>('forget-key'),
  status: byId<HTMLElement>('status'),
  reports: byId<HTMLElement>('report-list'),
  topChart: byId<HTMLElement>('top-chart'),
  topTable: byId<HTMLTableElement>('top-table'),
  noResultsChart: byId<HTMLElement>('no-results-chart'),
  noResultsTable: byId<HTMLTableElement>('no-results-table'),
  clicksTable: byId<HTMLTableElement>('clicks-table'),
  latencyLegend: byId<HTMLElement>('latency-legend'),
  latencyChart: byId<HTMLElement>('latency-chart'),
  latencyTable: byId<HTMLTableElement>('latency-table'),
};

let state: AnalyticsState = stateFromQuery(location.search);
let key = storedKey(KEY_ITEM);
let inFlight: AbortController | null = null;

function showStatus(text: string, isError = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', isError);
}

function askForKey(message: string): void {
  ui.keyMessage.textContent = message;
  ui.keyPanel.hidden = false;
  ui.key.focus();
}

/** A cell holding a number: the text for people, the exact value for machines (and the browser test). */
const numberCell = (value: number | null, text: string) =>
  el('td', { class: 'num', 'data-value': value === null ? '' : String(value) }, text);

function table(
  node: HTMLTableElement,
  caption: string,
  headings: string[],
  rows: HTMLTableRowElement[],
): void {
  node.replaceChildren(
    el('caption', {}, caption),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...headings.map((h, i) => el('th', { scope: 'col', ...(i > 0 ? { class: 'num' } : {}) }, h)),
      ),
    ),
    el('tbody', {}, ...rows),
  );
}

const queryRow = (row: { index: string; query: string }, ...cells: HTMLTableCellElement[]) =>
  el(
    'tr',
    { 'data-index': row.index, 'data-query': row.query },
    el('th', { scope: 'row' }, queryLabel(row, state)),
    ...cells,
  );

/** The chart's width in CSS pixels, so that it is drawn at the size shown (a phone's screen included). */
const widthOf = (box: HTMLElement) => box.clientWidth || 640;

const nothing = (box: HTMLElement, text: string) => box.replaceChildren(el('p', { class: 'empty' }, text));

function showTop(answer: TopQueriesAnswer): void {
  const title = 'Top queries: searches per query';
  if (answer.queries.length === 0) nothing(ui.topChart, 'No searches in this window.');
  else
    ui.topChart.replaceChildren(
      drawHorizontalBars(
        horizontalBars(searchBars(answer.queries, state), {
          ...horizontalLayoutFor(widthOf(ui.topChart)),
          integers: true,
        }),
        'top',
        title,
        formatCount,
      ),
    );
  table(
    ui.topTable,
    title,
    ['Query', 'Searches', 'With no results'],
    answer.queries.map((q) =>
      queryRow(
        q,
        numberCell(q.searches, formatCount(q.searches)),
        numberCell(q.no_results, formatCount(q.no_results)),
      ),
    ),
  );
}

function showNoResults(answer: NoResultsAnswer): void {
  const title = 'Queries with no results: searches per query';
  if (answer.queries.length === 0) nothing(ui.noResultsChart, 'Every search in this window found something.');
  else
    ui.noResultsChart.replaceChildren(
      drawHorizontalBars(
        horizontalBars(searchBars(answer.queries, state), {
          ...horizontalLayoutFor(widthOf(ui.noResultsChart)),
          integers: true,
        }),
        'no-results',
        title,
        formatCount,
      ),
    );
  table(
    ui.noResultsTable,
    title,
    ['Query', 'Searches'],
    answer.queries.map((q) => queryRow(q, numberCell(q.searches, formatCount(q.searches)))),
  );
}

/** A cell with its number and a bar of `fraction` of the cell (an image for sight only: the text says it). */
function barCell(value: number | null, text: string, fraction: number): HTMLTableCellElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 100 10');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'inline-bar');
  const track = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  track.setAttribute('class', 'track');
  track.setAttribute('width', '100');
  track.setAttribute('height', '10');
  const fill = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  fill.setAttribute('class', 'bar series-0');
  fill.setAttribute('width', String(inlineBarPercent(fraction)));
  fill.setAttribute('height', '10');
  svg.append(track, fill);
  const cell = numberCell(value, '');
  cell.append(el('span', {}, text), svg);
  cell.classList.add('with-bar');
  return cell;
}

function showClicks(answer: ClicksAnswer): void {
  const deepest = Math.max(1, ...answer.queries.map((q) => q.avg_click_position ?? 0));
  table(
    ui.clicksTable,
    'Click-through rate and average click position per query',
    ['Query', 'Searches', 'Clicks', 'Conversions', 'CTR', 'Avg. click position'],
    answer.queries.map((q) =>
      queryRow(
        q,
        numberCell(q.searches, formatCount(q.searches)),
        numberCell(q.clicks, formatCount(q.clicks)),
        numberCell(q.conversions, formatCount(q.conversions)),
        barCell(q.ctr, formatRate(q.ctr), q.ctr),
        barCell(
          q.avg_click_position,
          formatPosition(q.avg_click_position),
          (q.avg_click_position ?? 0) / deepest,
        ),
      ),
    ),
  );
  if (answer.queries.length === 0)
    ui.clicksTable.tBodies[0]!.append(
      el('tr', {}, el('td', { colspan: '6', class: 'empty' }, 'No searches in this window.')),
    );
}

function showLatency(answer: LatencyAnswer): void {
  const title = 'Search latency per index: p50, p95 and p99 in milliseconds';
  ui.latencyLegend.replaceChildren(
    ...LATENCY_SERIES.map((name, i) => {
      const swatch = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      swatch.setAttribute('viewBox', '0 0 10 10');
      swatch.setAttribute('aria-hidden', 'true');
      swatch.setAttribute('class', 'swatch');
      const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      rect.setAttribute('width', '10');
      rect.setAttribute('height', '10');
      rect.setAttribute('class', `bar series-${i}`);
      swatch.append(rect);
      return el('li', {}, swatch, name);
    }),
  );
  if (answer.indexes.length === 0) nothing(ui.latencyChart, 'No searches in this window.');
  else
    ui.latencyChart.replaceChildren(
      drawGroupedBars(
        groupedBars(latencyGroups(answer.indexes), {
          width: Math.min(640, Math.max(300, widthOf(ui.latencyChart))),
        }),
        'latency',
        title,
        LATENCY_SERIES,
        (n) => String(n),
      ),
    );
  table(
    ui.latencyTable,
    title,
    ['Index', 'Searches', 'p50', 'p95', 'p99'],
    answer.indexes.map((r) =>
      el(
        'tr',
        { 'data-index': r.index },
        el('th', { scope: 'row' }, r.index),
        numberCell(r.searches, formatCount(r.searches)),
        numberCell(r.p50_ms, formatMs(r.p50_ms)),
        numberCell(r.p95_ms, formatMs(r.p95_ms)),
        numberCell(r.p99_ms, formatMs(r.p99_ms)),
      ),
    ),
  );
}

/** The index choices: every index the key may see, and the chosen one even if it is gone. */
async function fillIndexes(signal: AbortSignal): Promise<void> {
  let answer: { indexes: { name: string }[] };
  try {
    answer = await callApi('/api/indexes', key, undefined, signal);
  } catch {
    // A key held to some indexes may not list them all; the reports say what went wrong, if anything did.
    return;
  }
  const names = answer.indexes.map((i) => i.name).sort();
  if (state.index && !names.includes(state.index)) names.push(state.index);
  ui.index.replaceChildren(
    el('option', { value: '' }, 'Every index'),
    ...names.map((n) => el('option', { value: n }, n)),
  );
  ui.index.value = state.index;
}

/** Handles an error answer: a missing or weak key asks for one, analytics turned off says so. */
function showProblem(err: unknown): void {
  ui.reports.hidden = true;
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    askForKey(
      key
        ? `This key cannot read the analytics: ${err.message}. Use a key with the admin scope.`
        : `The analytics need an API key with the admin scope: ${err.message}.`,
    );
    showStatus('Waiting for an admin API key.', true);
  } else if (err instanceof ApiError && err.code === 'ANALYTICS_DISABLED') {
    showStatus(
      'Search analytics is turned off on this server (ANALYTICS_ENABLED=false), so there is nothing to show. ' +
        'Turn it on to record searches and clicks; docs/operations.md says what is kept.',
      true,
    );
  } else {
    showStatus(err instanceof Error ? err.message : String(err), true);
  }
}

async function load(): Promise<void> {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const { signal } = controller;
  const get = <T>(path: string) => callApi<T>(path, key, undefined, signal);
  showStatus('Loading the reports…');
  try {
    const [top, noResults, clicks, latency] = await Promise.all([
      get<TopQueriesAnswer>(reportPath('top-queries', state)),
      get<NoResultsAnswer>(reportPath('no-results', state)),
      get<ClicksAnswer>(reportPath('clicks', state)),
      get<LatencyAnswer>(reportPath('latency', state)),
      fillIndexes(signal),
    ]);
    ui.keyPanel.hidden = true;
    // Shown before drawing: the charts are drawn at the width their boxes take.
    ui.reports.hidden = false;
    showTop(top);
    showNoResults(noResults);
    showClicks(clicks);
    showLatency(latency);
    ui.status.dataset.from = top.from;
    ui.status.dataset.to = top.to;
    showStatus(`${top.index ? `Index ${top.index}` : 'Every index'}, ${rangeText(top)}.`);
  } catch (err) {
    if (signal.aborted) return;
    showProblem(err);
  } finally {
    if (inFlight === controller) inFlight = null;
  }
}

function choose(next: AnalyticsState): void {
  state = next;
  const url = `${location.pathname}${queryFromState(state)}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, '', url);
  void load();
}

ui.window.addEventListener('change', () => choose({ ...state, window: ui.window.value as ReportWindow }));
ui.index.addEventListener('change', () => choose({ ...state, index: ui.index.value }));
ui.keyForm.addEventListener('submit', (e) => {
  e.preventDefault();
  key = ui.key.value.trim();
  storeKey(key, KEY_ITEM);
  ui.key.value = '';
  ui.forgetKey.hidden = key === '';
  void load();
});
ui.forgetKey.addEventListener('click', () => {
  key = '';
  storeKey('', KEY_ITEM);
  ui.forgetKey.hidden = true;
  void load();
});

ui.window.value = state.window;
ui.index.append(...(state.index ? [el('option', { value: state.index }, state.index)] : []));
ui.index.value = state.index;
ui.forgetKey.hidden = key === '';
void load();
