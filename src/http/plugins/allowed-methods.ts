import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The methods the router answers for a path, in the order an Allow header lists them. */
export type AllowedMethods = (request: FastifyRequest) => string[];

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const rank = (m: string) => (ORDER.includes(m) ? ORDER.indexOf(m) : ORDER.length);

/**
 * Records the method of every route as it is registered (an onRoute hook, so call this before any route) and
 * answers, for a request no route matched, which methods the router would accept on its path: the router's own
 * matching decides, so the answer cannot drift from the routes. An empty list means the path is unknown (404);
 * otherwise the request used the wrong method (405 with Allow). Catch-all routes (`*`, such as the CORS
 * preflight route) are not counted: they would make every path look known.
 */
export function trackAllowedMethods(app: FastifyInstance): AllowedMethods {
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    if (route.url === '*' || route.url === '/*') return;
    for (const method of [route.method].flat()) {
      methods.add(method.toUpperCase());
      // Fastify exposes a HEAD route beside each GET route; the router is asked about it like any other.
      if (method.toUpperCase() === 'GET') methods.add('HEAD');
    }
  });
  return (request) => {
    const path = (request.raw.url ?? request.url).split('?')[0] ?? '';
    // A route of this very method sent the request here (reply.callNotFound(), e.g. a missing static file).
    if (app.findRoute({ method: request.method, url: path }) !== null) return [];
    return [...methods]
      .filter((method) => method !== request.method && app.findRoute({ method, url: path }) !== null)
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  };
}
