import { ApiError, callApi, reportClick, storedKey, storeKey } from './api.js';
import { curlCommand } from './curl.js';
import { niceRanges } from './ranges.js';
import { facetGroup, hitItem, rangeItems, el, type Hit, type SearchAnswer } from './render.js';
import {
  composeFilter,
  facetPlan,
  filterExample,
  searchBody,
  searchPath,
  sortChoices,
  type FacetPlan,
  type SearchField,
} from './request.js';
import { queryFromState, stateFromQuery, toggle, type PageState, type RangeBounds } from './state.js';

/**
 * The search page: state in the URL, one search in flight at a time (a newer one aborts it), results, facets,
 * "more" through the cursor, the filter's positioned error and the equivalent curl command.
 */

const TYPING_DELAY_MS = 150;
const FILTER_DELAY_MS = 350;

const byId = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page lacks #${id}`);
  return node as T;
};

const ui = {
  form: byId<HTMLFormElement>('search-form'),
  index: byId<HTMLInputElement>('index'),
  q: byId<HTMLInputElement>('q'),
  filter: byId<HTMLInputElement>('filter'),
  filterError: byId<HTMLElement>('filter-error'),
  sort: byId<HTMLSelectElement>('sort'),
  keyPanel: byId<HTMLElement>('key-panel'),
  keyForm: byId<HTMLFormElement>('key-form'),
  keyMessage: byId<HTMLElement>('key-message'),
  key: byId<HTMLInputElement>('key'),
  forgetKey: byId<HTMLButtonElement>('forget-key'),
  facets: byId<HTMLElement>('facets'),
  status: byId<HTMLElement>('status'),
  hits: byId<HTMLOListElement>('hits'),
  more: byId<HTMLButtonElement>('more'),
  curl: byId<HTMLElement>('curl'),
};

const defaultIndex =
  document.querySelector<HTMLMetaElement>('meta[name="sift-default-index"]')?.content ?? '';

let state: PageState = stateFromQuery(location.search);
let key = storedKey();
/** What is known of the current index: its fields and the range buckets of its numeric facets. */
let index: {
  name: string;
  fields: SearchField[];
  plan: FacetPlan;
  ranges: Record<string, RangeBounds[]>;
} | null = null;
let inFlight: AbortController | null = null;
let nextCursor: string | null = null;
let shown = 0;

const indexName = () => state.index || defaultIndex;

function writeUrl(): void {
  const url = `${location.pathname}${queryFromState(state)}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, '', url);
}

function showStatus(text: string, isError = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', isError);
}

function showFilterError(message: string, position: number | null): void {
  ui.filter.setAttribute('aria-invalid', 'true');
  ui.filterError.replaceChildren(el('span', {}, message));
  if (position !== null && position >= 0) {
    const typed = state.filter;
    const at = Math.min(position, typed.length);
    ui.filterError.append(
      el('pre', { class: 'caret', 'aria-hidden': 'true' }, `${typed}\n${' '.repeat(at)}^`),
    );
  }
  ui.filterError.hidden = false;
}

function clearFilterError(): void {
  ui.filter.removeAttribute('aria-invalid');
  ui.filterError.hidden = true;
  ui.filterError.replaceChildren();
}

function askForKey(message: string): void {
  ui.keyMessage.textContent = message;
  ui.keyPanel.hidden = false;
  ui.key.focus();
}

/** Handles an error answer; returns true when it was the caller's credentials (the key panel is shown). */
function credentialProblem(err: unknown): boolean {
  if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 403)) return false;
  askForKey(
    key
      ? `This key cannot search "${indexName()}": ${err.message}. Use another key.`
      : `This server needs an API key with the search scope: ${err.message}.`,
  );
  showStatus('Waiting for an API key.', true);
  return true;
}

function fillSortChoices(fields: SearchField[]): void {
  const choices = sortChoices(fields);
  ui.sort.replaceChildren(...choices.map((c) => el('option', { value: c.value }, c.label)));
  if (state.sort && !choices.some((c) => c.value === state.sort))
    ui.sort.append(el('option', { value: state.sort }, state.sort));
  ui.sort.value = state.sort;
}

/** Learns the index's fields and the spread of its numeric facets (for their range buckets). */
async function loadIndex(signal: AbortSignal): Promise<void> {
  const name = indexName();
  const described = await callApi<{ fields: SearchField[] }>(
    `/api/indexes/${encodeURIComponent(name)}/fields`,
    key,
    undefined,
    signal,
  );
  const plan = facetPlan(described.fields);
  const ranges: Record<string, RangeBounds[]> = {};
  if (plan.ranges.length > 0) {
    const stats = await callApi<SearchAnswer>(
      searchPath(state.index),
      key,
      { size: 0, facets: plan.ranges.map((field) => ({ field, stats: true })) },
      signal,
    );
    for (const field of plan.ranges) {
      const s = stats.facets?.[field]?.stats;
      const type = described.fields.find((f) => f.name === field)?.type;
      if (s && s.min !== null && s.max !== null) ranges[field] = niceRanges(s.min, s.max, type === 'integer');
    }
  }
  index = { name, fields: described.fields, plan, ranges };
  fillSortChoices(described.fields);
  ui.filter.placeholder = filterExample(described.fields);
}

function renderFacets(answer: SearchAnswer): void {
  if (!index) return;
  const groups: HTMLElement[] = [];
  for (const field of index.plan.terms) {
    const buckets = answer.facets?.[field]?.buckets ?? [];
    const items = buckets.map((b) => ({ key: String(b.value), label: String(b.value), count: b.count }));
    if (items.length === 0 && !state.terms[field]) continue;
    groups.push(
      facetGroup(field, items, state.terms[field] ?? [], (value) => {
        state = { ...state, terms: toggle(state.terms, field, value) };
        void search();
      }),
    );
  }
  for (const field of index.plan.ranges) {
    const ranges = answer.facets?.[field]?.ranges;
    if (!ranges) continue;
    groups.push(
      facetGroup(
        field,
        rangeItems(ranges),
        state.ranges[field] ?? [],
        (value) => {
          state = { ...state, ranges: toggle(state.ranges, field, value) };
          void search();
        },
        'ranges',
      ),
    );
  }
  // Keep keyboard focus on the checkbox that was just used, across the re-render.
  const focused = document.activeElement as HTMLElement | null;
  const focusKey = focused?.closest('.facet')
    ? [focused.closest<HTMLElement>('.facet')!.dataset.field, focused.dataset.value]
    : null;
  ui.facets.replaceChildren(...groups);
  ui.facets.hidden = groups.length === 0;
  if (focusKey) {
    const again = [...ui.facets.querySelectorAll<HTMLInputElement>('.facet input')].find(
      (i) =>
        i.closest<HTMLElement>('.facet')!.dataset.field === focusKey[0] && i.dataset.value === focusKey[1],
    );
    again?.focus();
  }
}

function appendHits(hits: Hit[]): HTMLLIElement[] {
  const fields = index?.fields ?? [];
  const items = hits.map((hit) =>
    hitItem(hit, ++shown, fields, (h, position) =>
      reportClick(key, { index: indexName(), q: state.q, id: h.id, position }),
    ),
  );
  ui.hits.append(...items);
  return items;
}

function showCount(answer: SearchAnswer): void {
  const total = answer.total_relation === 'gte' ? `${answer.total}+` : String(answer.total);
  const noun = answer.total === 1 && answer.total_relation !== 'gte' ? 'result' : 'results';
  showStatus(`${total} ${noun} in ${Math.round(answer.took_ms * 10) / 10} ms.`);
  const suggestion = answer.did_you_mean;
  if (suggestion) {
    const button = el('button', { type: 'button', class: 'link-button' }, suggestion);
    button.addEventListener('click', () => {
      state = { ...state, q: suggestion };
      ui.q.value = suggestion;
      void search();
    });
    ui.status.append(' Did you mean ', button, '?');
  }
}

function showCurl(): void {
  if (!index) return;
  const body = searchBody(state, index.plan, index.ranges);
  ui.curl.textContent = curlCommand(location.origin, searchPath(state.index), body, key !== '');
}

/** The typed filter's own error, asked with the filter alone so its position is in the text as typed. */
async function typedFilterError(signal: AbortSignal): Promise<ApiError | null> {
  try {
    await callApi(searchPath(state.index), key, { q: state.q, filter: state.filter, size: 0 }, signal);
    return null;
  } catch (err) {
    return err instanceof ApiError ? err : null;
  }
}

/** Runs the search the state describes, replacing what is shown. */
async function search(): Promise<void> {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  writeUrl();
  ui.form.setAttribute('aria-busy', 'true');
  try {
    if (!index || index.name !== indexName()) {
      index = null;
      await loadIndex(controller.signal);
    }
    const body = searchBody(state, index!.plan, index!.ranges);
    showCurl();
    let answer: SearchAnswer;
    try {
      answer = await callApi<SearchAnswer>(searchPath(state.index), key, body, controller.signal);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'INVALID_FILTER' && state.filter.trim()) {
        const own = composeFilter(state).combined ? await typedFilterError(controller.signal) : err;
        if (own && own.code === 'INVALID_FILTER') {
          const position = typeof own.details.position === 'number' ? own.details.position : null;
          showFilterError(own.message, position);
          showStatus('Fix the filter to see results.', true);
          return;
        }
      }
      throw err;
    }
    clearFilterError();
    ui.keyPanel.hidden = true;
    shown = 0;
    ui.hits.replaceChildren();
    appendHits(answer.hits);
    nextCursor = answer.next_cursor;
    ui.more.hidden = nextCursor === null;
    showCount(answer);
    renderFacets(answer);
  } catch (err) {
    if (controller.signal.aborted) return;
    if (credentialProblem(err)) return;
    showStatus(err instanceof Error ? err.message : String(err), true);
    ui.hits.replaceChildren();
    ui.more.hidden = true;
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      ui.form.removeAttribute('aria-busy');
    }
  }
}

/** The next page through the cursor, appended; focus moves to its first result. */
async function more(): Promise<void> {
  if (!index || !nextCursor) return;
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  ui.more.disabled = true;
  try {
    const body = searchBody(state, index.plan, index.ranges, nextCursor);
    const answer = await callApi<SearchAnswer>(searchPath(state.index), key, body, controller.signal);
    const added = appendHits(answer.hits);
    nextCursor = answer.next_cursor;
    ui.more.hidden = nextCursor === null;
    added[0]?.querySelector('summary')?.focus();
  } catch (err) {
    if (controller.signal.aborted) return;
    if (!credentialProblem(err)) showStatus(err instanceof Error ? err.message : String(err), true);
  } finally {
    ui.more.disabled = false;
    if (inFlight === controller) inFlight = null;
  }
}

/** Calls `run` once input has paused for `ms`. */
function debounced(ms: number, run: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
}

function showState(): void {
  ui.index.value = state.index;
  ui.index.placeholder = defaultIndex;
  ui.q.value = state.q;
  ui.filter.value = state.filter;
  ui.sort.value = state.sort;
}

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  void search();
});
const typed = debounced(TYPING_DELAY_MS, () => void search());
ui.q.addEventListener('input', () => {
  state = { ...state, q: ui.q.value };
  typed();
});
const filtered = debounced(FILTER_DELAY_MS, () => void search());
ui.filter.addEventListener('input', () => {
  state = { ...state, filter: ui.filter.value };
  filtered();
});
ui.sort.addEventListener('change', () => {
  state = { ...state, sort: ui.sort.value };
  void search();
});
ui.index.addEventListener('change', () => {
  // Another index has other fields: its facet picks and sort do not carry over.
  state = { ...state, index: ui.index.value.trim(), sort: '', terms: {}, ranges: {} };
  void search();
});
ui.more.addEventListener('click', () => void more());
ui.keyForm.addEventListener('submit', (e) => {
  e.preventDefault();
  key = ui.key.value.trim();
  storeKey(key);
  ui.key.value = '';
  ui.forgetKey.hidden = key === '';
  index = null;
  void search();
});
ui.forgetKey.addEventListener('click', () => {
  key = '';
  storeKey('');
  ui.forgetKey.hidden = true;
  index = null;
  void search();
});
window.addEventListener('popstate', () => {
  state = stateFromQuery(location.search);
  showState();
  void search();
});

showState();
ui.forgetKey.hidden = key === '';
void search();
