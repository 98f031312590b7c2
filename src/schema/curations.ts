import { SiftError } from '../errors.js';
import { MAX_ID_LENGTH } from './document.js';
import type { CurationRule } from './types.js';

/**
 * Curation rules (what Typesense calls overrides and Algolia rules): for a query, pin documents at positions and
 * hide others. They live in the index schema under `curations` (versioned with it, carried through a reindex,
 * applied at query time on every engine) and are read and replaced on their own through
 * `/api/indexes/{index}/curations`. This file checks their shape; src/query/curation.ts applies them.
 */

export const MAX_CURATION_RULES = 1000;
/** Pins and hides per rule: a curated first page, not a second ranking. */
export const MAX_PINS = 100;
export const MAX_HIDES = 250;
/** The furthest position a pin may ask for (1-based): pins shape the first pages. */
export const MAX_PIN_POSITION = 100;
const MAX_QUERY_LENGTH = 512;
const MAX_FILTER_LENGTH = 4096;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

const fail = (at: string, problem: string): never => {
  throw new SiftError('INVALID_CURATION', `${at}: ${problem}`, { rule: at });
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Lower-cased, trimmed, inner whitespace collapsed: the form TextQuery.normalized has, so rules compare with it. */
export const normalizeCurationQuery = (q: string): string => q.trim().replace(/\s+/g, ' ').toLowerCase();

function onlyKeys(at: string, obj: Record<string, unknown>, known: string[]): void {
  for (const key of Object.keys(obj))
    if (!known.includes(key)) fail(at, `unknown key "${key}" (known: ${known.join(', ')})`);
}

function docId(at: string, v: unknown): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > MAX_ID_LENGTH || CONTROL.test(v))
    fail(
      at,
      `${JSON.stringify(v)} is not a document id (1-${MAX_ID_LENGTH} characters, no control characters)`,
    );
  return v as string;
}

function parseRule(raw: unknown, i: number): CurationRule {
  const at = `curations[${i}]`;
  if (!isObject(raw))
    fail(at, 'must be {"query": "...", "match": "exact"|"contains", "pin": [...], "hide": [...]}');
  const r = raw as Record<string, unknown>;
  onlyKeys(at, r, ['name', 'query', 'match', 'filter', 'pin', 'hide']);
  if (r.name !== undefined && (typeof r.name !== 'string' || r.name.length > 128 || CONTROL.test(r.name)))
    fail(`${at}.name`, 'must be a string of at most 128 characters');
  if (typeof r.query !== 'string' || r.query.length > MAX_QUERY_LENGTH || CONTROL.test(r.query))
    fail(`${at}.query`, `must be a string of at most ${MAX_QUERY_LENGTH} characters`);
  const query = normalizeCurationQuery(r.query as string);
  if (!query) fail(`${at}.query`, 'must not be empty');
  const match = r.match ?? 'exact';
  if (match !== 'exact' && match !== 'contains') fail(`${at}.match`, 'must be "exact" or "contains"');
  if (
    r.filter !== undefined &&
    (typeof r.filter !== 'string' || !r.filter.trim() || r.filter.length > MAX_FILTER_LENGTH)
  )
    fail(`${at}.filter`, `must be a filter expression of 1-${MAX_FILTER_LENGTH} characters`);
  const pinRaw = r.pin ?? [];
  if (!Array.isArray(pinRaw) || pinRaw.length > MAX_PINS)
    fail(`${at}.pin`, `must be an array of at most ${MAX_PINS} {"id": "...", "position": 1} entries`);
  const pin = (pinRaw as unknown[]).map((p, j) => {
    const pat = `${at}.pin[${j}]`;
    if (!isObject(p)) fail(pat, 'must be {"id": "...", "position": 1}');
    const o = p as Record<string, unknown>;
    onlyKeys(pat, o, ['id', 'position']);
    const position = o.position;
    if (
      typeof position !== 'number' ||
      !Number.isInteger(position) ||
      position < 1 ||
      position > MAX_PIN_POSITION
    )
      fail(`${pat}.position`, `must be an integer from 1 to ${MAX_PIN_POSITION}`);
    return { id: docId(`${pat}.id`, o.id), position: position as number };
  });
  const hideRaw = r.hide ?? [];
  if (!Array.isArray(hideRaw) || hideRaw.length > MAX_HIDES)
    fail(`${at}.hide`, `must be an array of at most ${MAX_HIDES} document ids`);
  const hide = [...new Set((hideRaw as unknown[]).map((h, j) => docId(`${at}.hide[${j}]`, h)))];
  if (pin.length === 0 && hide.length === 0) fail(at, 'pins or hides nothing');
  const pinned = new Set<string>();
  const positions = new Set<number>();
  for (const p of pin) {
    if (pinned.has(p.id)) fail(`${at}.pin`, `document "${p.id}" is pinned twice`);
    if (positions.has(p.position)) fail(`${at}.pin`, `position ${p.position} is taken twice`);
    if (hide.includes(p.id)) fail(at, `document "${p.id}" is both pinned and hidden`);
    pinned.add(p.id);
    positions.add(p.position);
  }
  return {
    ...(r.name !== undefined ? { name: r.name as string } : {}),
    query,
    match: match as CurationRule['match'],
    ...(r.filter !== undefined ? { filter: (r.filter as string).trim() } : {}),
    pin: [...pin].sort((a, b) => a.position - b.position),
    hide,
  };
}

/** The `curations` of a schema, or the body of PUT /api/indexes/{index}/curations; malformed: INVALID_CURATION. */
export function parseCurations(raw: unknown): CurationRule[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > MAX_CURATION_RULES)
    fail('curations', `must be an array of at most ${MAX_CURATION_RULES} rules`);
  return (raw as unknown[]).map(parseRule);
}
