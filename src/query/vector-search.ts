import type { IndexSchema } from '../schema/types.js';
import type { RunSearch } from './curated-search.js';
import { checkFilter } from './filter-check.js';
import { byScoreThenId, fuse, type Ranked } from './hybrid.js';
import type { Hit, KnnCandidate, KnnRequest, SearchAfter, SearchRequest, SearchResult } from './types.js';

/** Runs an engine's kNN candidate search; the service and the conformance driver each give their engine's. */
export type RunKnn = (request: KnnRequest) => Promise<KnnCandidate[]>;

/** Where a cursor's page starts: after the hit it names, in (score desc, id asc) order. */
function positionAfter(ranked: Ranked[], after: SearchAfter): number {
  const last = { id: after.id, score: Number(after.values[0]) };
  const i = ranked.findIndex((r) => byScoreThenId(last, r) < 0);
  return i === -1 ? ranked.length : i;
}

const searchAll = (request: Partial<SearchRequest>): SearchRequest => ({
  text: null,
  filter: null,
  facets: [],
  sort: [{ field: '_score', order: 'desc' }],
  size: 0,
  from: 0,
  after: null,
  highlight: null,
  fields: [],
  trackTotal: 1,
  ...request,
});

/** The ranked hits of a kNN search (the k nearest) or of a hybrid one (text and kNN candidates fused, k kept). */
async function rankedHits(
  run: { search: RunSearch; knn: RunKnn },
  request: SearchRequest,
): Promise<{ ranked: Ranked[]; partial: boolean }> {
  const { field, vector, k, hybrid } = request.vector!;
  if (!hybrid) return { ranked: await run.knn({ field, vector, k, filter: request.filter }), partial: false };
  const [text, nearest] = await Promise.all([
    run.search(searchAll({ text: request.text, filter: request.filter, size: hybrid.candidates })),
    run.knn({ field, vector, k: hybrid.candidates, filter: request.filter }),
  ]);
  const textRanked = text.hits.map((h) => ({ id: h.id, score: h.score ?? 0 }));
  return { ranked: fuse(textRanked, nearest, hybrid).slice(0, k), partial: text.partial };
}

/**
 * A kNN or hybrid search answered from the engine's candidates: the ranked hits (see rankedHits), the page that
 * `from`/`size` or the cursor asks for, its documents fetched by id, and the facets counted over all the hits (not
 * the whole filter's matches). `total` is the number of hits, at most k. A hit's sort value is its score, so a
 * cursor pages through the same ranking.
 */
export async function searchByVector(
  run: { search: RunSearch; knn: RunKnn },
  schema: IndexSchema,
  request: SearchRequest,
): Promise<SearchResult> {
  const { ranked, partial } = await rankedHits(run, request);
  const start = request.after ? positionAfter(ranked, request.after) : request.from;
  const page = ranked.slice(start, start + request.size);
  const byIds = (ids: string[]) =>
    checkFilter({ kind: 'terms', field: schema.id_field, values: ids }, schema);
  const [documents, facets] = await Promise.all([
    page.length === 0
      ? null
      : run.search(
          searchAll({
            filter: byIds(page.map((r) => r.id)),
            sort: [{ field: schema.id_field, order: 'asc' }],
            size: page.length,
            fields: request.fields,
          }),
        ),
    request.facets.length === 0
      ? null
      : run.search(
          searchAll({
            // No hit is a filter that matches nothing: an id cannot be empty.
            filter: byIds(ranked.length ? ranked.map((r) => r.id) : ['']),
            facets: request.facets,
          }),
        ),
  ]);
  const found = new Map(documents?.hits.map((h) => [h.id, h.document]));
  const hits: Hit[] = [];
  // A document deleted since the candidates were read is left out of its page.
  for (const r of page) {
    const document = found.get(r.id);
    if (document) hits.push({ id: r.id, score: r.score, document, sortValues: [r.score] });
  }
  return {
    hits,
    total: ranked.length,
    total_relation: 'eq',
    facets: facets?.facets ?? {},
    partial: partial || Boolean(documents?.partial) || Boolean(facets?.partial),
  };
}
