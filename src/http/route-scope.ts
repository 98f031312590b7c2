/**
 * The scope each API route belongs to, in one place: rate limits are set per scope, and API keys grant scopes.
 *   search: searching, suggesting and reading single documents;
 *   write:  storing, importing and deleting documents;
 *   admin:  index management, reindexing, keys — everything else under /api.
 * Routes outside /api (health probes, /metrics, /docs, /openapi.json) have no scope: they are not limited.
 */
export const ROUTE_SCOPES = ['search', 'write', 'admin'] as const;
export type RouteScope = (typeof ROUTE_SCOPES)[number];

const SEARCH_ROUTES = new Set([
  '/api/search',
  '/api/suggest',
  '/api/indexes/:index/search',
  '/api/indexes/:index/suggest',
]);
const DOCUMENT_ROUTES = new Set(['/api/indexes/:index/documents', '/api/indexes/:index/documents/:id']);

/** `route` is the matched route pattern (e.g. `/api/indexes/:index/search`), not the raw URL. */
export function routeScope(method: string, route: string | undefined): RouteScope | null {
  if (route === undefined || !(route === '/api' || route.startsWith('/api/'))) return null;
  if (SEARCH_ROUTES.has(route)) return 'search';
  if (DOCUMENT_ROUTES.has(route)) {
    const m = method.toUpperCase();
    return m === 'GET' || m === 'HEAD' ? 'search' : 'write';
  }
  return 'admin';
}
