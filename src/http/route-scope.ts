import type { FastifyRequest, RouteOptions } from 'fastify';

/**
 * Each API route declares, in its own options, the scope it belongs to: rate limits are set per scope, and API
 * keys grant scopes.
 *   search: searching, suggesting and reading single documents;
 *   write:  storing, importing and deleting documents;
 *   admin:  index management, reindexing, keys.
 * Routes outside /api (health probes, /metrics, /docs, /openapi.json, the search page) declare none: they are
 * not limited.
 */
export const ROUTE_SCOPES = ['search', 'write', 'admin'] as const;
export type RouteScope = (typeof ROUTE_SCOPES)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a credential needs for this route, and whose rate limit it counts against. */
    scope?: RouteScope;
    /**
     * The handler applies a scoped key's filter (or answers nothing a filter restricts: no document); a principal
     * with a filter may use only such routes.
     */
    appliesKeyFilter?: boolean;
    /** The path names no index: the route searches DEFAULT_INDEX, and access is checked against it. */
    usesDefaultIndex?: boolean;
  }
}

const isApi = (url: string) => url === '/api' || url.startsWith('/api/');

/** The scope the matched route declares; null for public routes and for unknown ones (404). */
export function routeScope(request: FastifyRequest): RouteScope | null {
  return request.routeOptions.config?.scope ?? null;
}

/**
 * Refuses, when the app is built, an /api route that declares no scope or one outside /api that declares one:
 * a new route cannot become public, or limited, by leaving its options out.
 */
export function checkDeclaredScope(route: Pick<RouteOptions, 'method' | 'url' | 'config'>): void {
  const scope = route.config?.scope;
  if (isApi(route.url) && (scope === undefined || !ROUTE_SCOPES.includes(scope))) {
    throw new Error(
      `route ${String(route.method)} ${route.url} must declare config.scope (${ROUTE_SCOPES.join(', ')})`,
    );
  }
  if (!isApi(route.url) && scope !== undefined) {
    throw new Error(
      `route ${String(route.method)} ${route.url} is outside /api and must not declare a scope`,
    );
  }
}
