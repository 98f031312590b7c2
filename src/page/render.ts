import { highlightSegments } from './highlight.js';
import { rangeLabel } from './ranges.js';
import { parseRangeKey, rangeKey } from './state.js';
import type { SearchField } from './request.js';

/** The parts of a search answer the page uses. */
export interface Hit {
  id: string;
  document: Record<string, unknown>;
  highlights?: Record<string, string[]>;
}
export interface SearchAnswer {
  hits: Hit[];
  total: number;
  total_relation?: 'eq' | 'gte';
  facets?: Record<
    string,
    {
      buckets?: { value: string | number | boolean; count: number }[];
      ranges?: { key: string; from?: number; to?: number; count: number }[];
      stats?: { min: number | null; max: number | null; count: number };
    }
  >;
  next_cursor: string | null;
  took_ms: number;
  did_you_mean?: string;
}

/** An element with its text (never HTML) and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Highlighted text as text nodes and <mark> elements: only the API's marks become markup. */
function highlighted(html: string): Node {
  const fragment = document.createDocumentFragment();
  for (const s of highlightSegments(html)) fragment.append(s.marked ? el('mark', {}, s.text) : s.text);
  return fragment;
}

const asText = (value: unknown): string =>
  Array.isArray(value)
    ? value.map(asText).join(', ')
    : typeof value === 'object' && value !== null
      ? JSON.stringify(value)
      : String(value);

/** A date as stored (ISO 8601); a plain day when it has no time of day. */
const asDate = (value: unknown): string =>
  typeof value === 'string' ? value.replace(/T00:00:00(\.0+)?Z$/, '') : asText(value);

/** The field a hit is named by: the first searchable field with a text value, else its id. */
export function titleField(fields: readonly SearchField[], hit: Hit): string | null {
  const f = fields.find((f) => f.searchable && typeof hit.document[f.name] === 'string');
  return f?.name ?? null;
}

/**
 * One result: its title (highlighted when the API marked it) opens the stored document, other highlights are the
 * snippet, and the faceted and sortable fields a short line of facts.
 */
export function hitItem(
  hit: Hit,
  position: number,
  fields: readonly SearchField[],
  onOpen: (hit: Hit, position: number) => void,
): HTMLLIElement {
  const title = titleField(fields, hit);
  const titleHighlight = title ? hit.highlights?.[title]?.[0] : undefined;
  const summary = el('summary', { class: 'hit-title' });
  summary.append(titleHighlight ? highlighted(titleHighlight) : title ? asText(hit.document[title]) : hit.id);
  const details = el('details', {}, summary);
  details.addEventListener('toggle', () => {
    if (details.open) onOpen(hit, position);
  });
  const snippets = Object.entries(hit.highlights ?? {}).filter(([field]) => field !== title);
  for (const [field, parts] of snippets) {
    const p = el('p', { class: 'snippet' }, el('span', { class: 'field-name' }, `${field}: `));
    parts.forEach((part, i) => {
      if (i > 0) p.append(' … ');
      p.append(highlighted(part));
    });
    details.append(p);
  }
  const facts = fields
    .filter((f) => (f.facet || f.sortable) && f.name !== title && hit.document[f.name] !== undefined)
    .map(
      (f) => `${f.name}: ${f.type === 'date' ? asDate(hit.document[f.name]) : asText(hit.document[f.name])}`,
    );
  if (facts.length > 0) summary.append(el('span', { class: 'facts' }, facts.join(' · ')));
  details.append(el('pre', { class: 'document' }, JSON.stringify(hit.document, null, 2)));
  // Snippets are what a reader scans: shown before the title is opened, outside the details.
  const preview = el('div', { class: 'preview' });
  for (const [field, parts] of snippets.slice(0, 1))
    preview.append(el('span', { class: 'field-name' }, `${field}: `), highlighted(parts[0] ?? ''));
  return el(
    'li',
    { class: 'hit', 'data-id': hit.id, value: String(position) },
    details,
    ...(snippets.length > 0 ? [preview] : []),
  );
}

/** A facet list: one labelled checkbox per value (or range) with its count. */
export function facetGroup(
  field: string,
  items: { key: string; label: string; count: number }[],
  picked: readonly string[],
  onToggle: (key: string) => void,
  kind: 'terms' | 'ranges' = 'terms',
): HTMLFieldSetElement {
  const group = el('fieldset', { class: 'facet', 'data-field': field }, el('legend', {}, field));
  const list = el('ul', {});
  items.forEach((item, i) => {
    const id = `facet-${field}-${i}`;
    const box = el('input', { type: 'checkbox', id, 'data-value': item.key });
    box.checked = picked.includes(item.key);
    box.addEventListener('change', () => onToggle(item.key));
    list.append(
      el(
        'li',
        {},
        box,
        el('label', { for: id }, item.label, ' ', el('span', { class: 'count' }, String(item.count))),
      ),
    );
  });
  // A picked value the answer no longer lists (no hit has it) stays visible, so it can be unpicked.
  for (const key of picked.filter((k) => !items.some((i) => i.key === k))) {
    const id = `facet-${field}-picked-${list.children.length}`;
    const box = el('input', { type: 'checkbox', id, 'data-value': key });
    box.checked = true;
    box.addEventListener('change', () => onToggle(key));
    const range = kind === 'ranges' ? parseRangeKey(key) : null;
    list.append(
      el(
        'li',
        {},
        box,
        el('label', { for: id }, range ? rangeLabel(range) : key, ' ', el('span', { class: 'count' }, '0')),
      ),
    );
  }
  group.append(list);
  return group;
}

/** A range facet's items, keyed as the URL keeps them. */
export function rangeItems(
  ranges: { from?: number; to?: number; count: number }[],
): { key: string; label: string; count: number }[] {
  return ranges.map((r) => {
    const bounds = {
      ...(r.from !== undefined ? { from: r.from } : {}),
      ...(r.to !== undefined ? { to: r.to } : {}),
    };
    return { key: rangeKey(bounds), label: rangeLabel(bounds), count: r.count };
  });
}
