import type { IndexSchema } from '../schema/types.js';
import { checkFilter } from './filter-check.js';
import { encodeCursor, type CursorKeys } from './cursor.js';
import { organicOffset, planCuration, spliceCurated, withoutIds } from './curation.js';
import { searchResponse, type SearchResponse } from './response.js';
import type { Filter, Hit, SearchRequest, SearchResult } from './types.js';

/** Runs one engine search; the service and the conformance driver each give their engine's. */
export type RunSearch = (request: SearchRequest) => Promise<SearchResult>;

export interface SearchScope {
  index: string;
  fingerprint: string;
  keys: CursorKeys;
  startedAt: number;
}

/**
 * A search with the index's curation rules applied (see src/query/curation.ts); without a rule that applies it is
 * the plain engine search. `request.filter` already holds the caller's restriction; `ownFilter` is the filter the
 * client sent, which is what a rule's filter condition is compared with. `curatedPosition` comes from a cursor
 * issued by a curated page: the merged position its next page starts at.
 */
export async function searchWithCurations(
  run: RunSearch,
  schema: IndexSchema,
  request: SearchRequest,
  ownFilter: Filter | null,
  curatedPosition: number | null,
  scope: SearchScope,
): Promise<SearchResponse> {
  // Pins are single documents placed by position: in a list of groups they would repeat a group or split one.
  const plan = request.distinct ? null : planCuration(schema.curations, request.text, ownFilter, schema);
  if (!plan) return searchResponse(await run(request), request, scope);

  // Where this page starts in the merged list. A cursor from an uncurated page (issued before the rule applied)
  // carries no position: its pins count as already shown, and the ranking goes on without them.
  const start = request.after ? (curatedPosition ?? Number.POSITIVE_INFINITY) : request.from;
  const pins = await visiblePins(run, schema, request, plan.pins);
  const pinPositions = pins.map((p) => p.position);
  const excluded = [...plan.hide, ...plan.pins.map((p) => p.id)];
  const furthest = pinPositions.at(-1) ?? 0;
  const organicRequest: SearchRequest = {
    ...request,
    filter: withoutIds(request.filter, schema.id_field, excluded, schema),
    from: request.after ? 0 : organicOffset(pinPositions, start),
    // Counted at least as far as the furthest pin, so a pin past the end of a short ranking is placed right.
    trackTotal: request.trackTotal === true ? true : Math.max(request.trackTotal, furthest),
  };
  const organic = await run(organicRequest);
  const organicTotal = organic.total_relation === 'eq' ? organic.total : null;
  const page = Number.isFinite(start)
    ? spliceCurated(pins, organic.hits, organicTotal, start, request.size)
    : { hits: organic.hits, organicUsed: organic.hits };
  const { did_you_mean: correction, ...rest } = organic;
  const merged: SearchResult = {
    ...rest,
    hits: page.hits,
    total: organic.total + pins.length,
    // "Did you mean" is for a search that found nothing, and a pinned result is something.
    ...(correction && page.hits.length === 0 ? { did_you_mean: correction } : {}),
  };
  const response = searchResponse(merged, request, scope);
  const full = request.size > 0 && page.hits.length === request.size;
  const lastOrganic = page.organicUsed.at(-1);
  response.next_cursor = full
    ? encodeCursor(
        lastOrganic ? { values: lastOrganic.sortValues, id: lastOrganic.id } : request.after,
        { index: scope.index, fingerprint: scope.fingerprint },
        scope.keys,
        Number.isFinite(start) ? start + page.hits.length : undefined,
      )
    : null;
  return response;
}

/**
 * The pinned documents the caller may see: those that exist and pass the request's filter (which holds the
 * caller's restriction), fetched by id in one search, in pin order. A pinned hit has no score.
 */
async function visiblePins(
  run: RunSearch,
  schema: IndexSchema,
  request: SearchRequest,
  pins: { id: string; position: number }[],
): Promise<{ position: number; hit: Hit }[]> {
  if (pins.length === 0) return [];
  const byId = checkFilter({ kind: 'terms', field: schema.id_field, values: pins.map((p) => p.id) }, schema);
  const found = await run({
    text: null,
    filter: request.filter ? { kind: 'and', children: [request.filter, byId] } : byId,
    facets: [],
    sort: [{ field: schema.id_field, order: 'asc' }],
    size: pins.length,
    from: 0,
    after: null,
    highlight: null,
    fields: request.fields,
    trackTotal: 1,
  });
  const hits = new Map(found.hits.map((h) => [h.id, h]));
  return pins.flatMap((p) => {
    const hit = hits.get(p.id);
    return hit ? [{ position: p.position, hit: { ...hit, score: null } }] : [];
  });
}
