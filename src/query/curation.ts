import { SiftError } from '../errors.js';
import type { CurationRule, IndexSchema } from '../schema/types.js';
import { conjuncts } from './facet-filter.js';
import { checkFilter } from './filter-check.js';
import { parseFilterExpression } from './filter-expression.js';
import type { Filter, TextQuery } from './types.js';

/**
 * Applying curation rules (src/schema/curations.ts) to a search, engine-neutrally, so every engine behaves the
 * same: the engine runs the query with the hidden and pinned ids filtered out (so neither is counted twice nor
 * shown where the ranking put it), the pinned documents are fetched by id under the request's filter and the
 * caller's restriction (a pin never shows a document the caller could not find), and spliceCurated lays them
 * over the ranking at their positions.
 */

/** What the rules matching one search ask for: pins sorted by position (1-based), hidden ids. */
export interface CurationPlan {
  pins: { id: string; position: number }[];
  hide: string[];
}

/** A rule's filter condition, checked against the schema; null when it no longer fits it (the rule is skipped). */
function ruleFilter(rule: CurationRule, schema: IndexSchema): Filter | null {
  if (rule.filter === undefined) return null;
  return checkFilter(parseFilterExpression(rule.filter), schema);
}

/** Refuses, at PUT time, rules whose filter does not parse or names fields the index cannot filter on. */
export function checkCurationFilters(rules: CurationRule[], schema: IndexSchema): void {
  rules.forEach((rule, i) => {
    try {
      ruleFilter(rule, schema);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new SiftError('INVALID_CURATION', `curations[${i}].filter: ${why}`, { rule: `curations[${i}]` });
    }
  });
}

const same = (a: Filter, b: Filter): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Whether a rule applies: its query is the whole query (`exact`) or a run of whole words in it (`contains`), and
 * its filter, when it has one, is the request's filter or one of the request filter's AND-ed parts.
 */
export function ruleApplies(
  rule: CurationRule,
  text: TextQuery | null,
  ownFilter: Filter | null,
  schema: IndexSchema,
): boolean {
  if (!text) return false;
  const q = text.normalized;
  const queryMatches = rule.match === 'exact' ? q === rule.query : ` ${q} `.includes(` ${rule.query} `);
  if (!queryMatches) return false;
  if (rule.filter === undefined) return true;
  let condition: Filter | null;
  try {
    condition = ruleFilter(rule, schema);
  } catch {
    // A rule whose filter no longer fits the schema (after a reindex) applies to nothing rather than failing searches.
    return false;
  }
  if (!condition || !ownFilter) return false;
  return same(condition, ownFilter) || conjuncts(ownFilter).some((c) => same(condition, c));
}

/**
 * The pins and hides of every rule that applies, in rule order: an id hidden by any rule stays hidden; a pin
 * whose id or position an earlier rule already took is dropped.
 */
export function planCuration(
  rules: CurationRule[] | undefined,
  text: TextQuery | null,
  ownFilter: Filter | null,
  schema: IndexSchema,
): CurationPlan | null {
  const applying = (rules ?? []).filter((r) => ruleApplies(r, text, ownFilter, schema));
  if (applying.length === 0) return null;
  const hide = new Set(applying.flatMap((r) => r.hide));
  const ids = new Set<string>();
  const positions = new Set<number>();
  const pins: CurationPlan['pins'] = [];
  for (const rule of applying) {
    for (const pin of rule.pin) {
      if (hide.has(pin.id) || ids.has(pin.id) || positions.has(pin.position)) continue;
      ids.add(pin.id);
      positions.add(pin.position);
      pins.push(pin);
    }
  }
  pins.sort((a, b) => a.position - b.position);
  return { pins, hide: [...hide] };
}

/**
 * The request filter with the curated ids left out. The exclusion is a pinned node (disjunctive facets never drop
 * it, so a hidden document is never counted); the request's own conjuncts stay beside it as they were.
 */
export function withoutIds(
  filter: Filter | null,
  idField: string,
  ids: string[],
  schema: IndexSchema,
): Filter | null {
  if (ids.length === 0) return filter;
  const exclusion = checkFilter(
    { kind: 'not', child: { kind: 'terms', field: idField, values: ids } },
    schema,
  );
  const pinned: Filter = { kind: 'and', children: [exclusion], pinned: true };
  return { kind: 'and', children: [pinned, ...conjuncts(filter)] };
}

/**
 * Where the organic ranking resumes for a window starting at merged position `start` (0-based): `start` minus the
 * pins placed before it. A pin the ranking cannot reach (fewer results than its position) moves up behind the
 * last result, which only ever happens once the ranking is exhausted, so this offset stays right either way.
 */
export function organicOffset(pinPositions: number[], start: number): number {
  return start - pinPositions.filter((p) => p - 1 < start).length;
}

export interface SplicedPage<P, O> {
  hits: (P | O)[];
  /** Organic hits on this page, in order (the last one is where the next page's ranking resumes). */
  organicUsed: O[];
}

/**
 * One page of the curated list: merged positions `start` .. `start + size - 1`. `pins` are the visible pinned
 * hits sorted by position; `organic` the ranking from this window's organic offset on; `organicTotal` the
 * ranking's exact size, or null when it was not counted exactly (then every pin keeps its position).
 */
export function spliceCurated<P, O>(
  pins: { position: number; hit: P }[],
  organic: O[],
  organicTotal: number | null,
  start: number,
  size: number,
): SplicedPage<P, O> {
  // 0-based effective positions: a pin past the end of the ranking comes right after it, pins keeping their order.
  const placed = new Map<number, P>();
  pins.forEach((p, k) => {
    const at = organicTotal === null ? p.position - 1 : Math.min(p.position - 1, organicTotal + k);
    placed.set(at, p.hit);
  });
  const hits: (P | O)[] = [];
  const organicUsed: O[] = [];
  let next = 0;
  for (let at = start; hits.length < size; at++) {
    const pin = placed.get(at);
    if (pin !== undefined) hits.push(pin);
    else if (next < organic.length) {
      const hit = organic[next++]!;
      hits.push(hit);
      organicUsed.push(hit);
    } else if (![...placed.keys()].some((p) => p > at)) break;
  }
  return { hits, organicUsed };
}
