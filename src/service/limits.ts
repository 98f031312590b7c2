import type { Config } from '../config/config.js';
import { DEFAULT_LIMITS, type QueryLimits } from '../query/request.js';

/** The query limits of the configuration, for every SearchService that answers users (HTTP and CLI alike). */
export function limitsFromConfig(config: Config): QueryLimits {
  return {
    ...DEFAULT_LIMITS,
    maxPageSize: config.MAX_PAGE_SIZE,
    maxResultWindow: config.MAX_RESULT_WINDOW,
    maxQueryLength: config.MAX_QUERY_LENGTH,
    maxQueryTerms: config.MAX_QUERY_TERMS,
    maxFacets: config.MAX_FACETS,
    maxFacetSize: config.MAX_FACET_BUCKETS,
  };
}
