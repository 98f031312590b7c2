import { SiftError } from '../errors.js';
import type { IndexSchema } from '../schema/types.js';
import { searchWithCurations, type RunSearch, type SearchScope } from './curated-search.js';
import { searchResponse, type SearchResponse } from './response.js';
import type { Filter, SearchRequest } from './types.js';
import { searchByVector, type RunKnn } from './vector-search.js';

/** An engine's searches as the query layer uses them; `knn` is absent on an engine that cannot search by vector. */
export interface SearchPorts {
  engine: string;
  search: RunSearch;
  knn?: RunKnn;
}

/**
 * The answer to a checked search request, the one path of the service and of the conformance driver: a kNN or
 * hybrid search through the engine's candidates (vector-search.ts), any other with the index's curation rules
 * (curated-search.ts), which are for text rankings and do not apply to a vector one.
 */
export async function answerSearch(
  ports: SearchPorts,
  schema: IndexSchema,
  request: SearchRequest,
  ownFilter: Filter | null,
  curatedPosition: number | null,
  scope: SearchScope,
): Promise<SearchResponse> {
  if (!request.vector)
    return searchWithCurations(ports.search, schema, request, ownFilter, curatedPosition, scope);
  if (!ports.knn)
    throw new SiftError('INVALID_REQUEST', `the ${ports.engine} engine cannot search by vector yet`, {
      field: 'vector',
    });
  const result = await searchByVector({ search: ports.search, knn: ports.knn }, schema, request);
  return searchResponse(result, request, scope);
}
