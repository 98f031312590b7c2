import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { withCacheStatus, type CacheStatus } from '../../cache/cache-status.js';
import { routeScope } from '../route-scope.js';

const statuses = new WeakMap<FastifyRequest, CacheStatus>();

/**
 * `X-Cache: HIT|MISS` on search and suggest answers. Each search-scope handler runs inside a cache-status
 * context the cached engine reports into (however deep the call), and onSend turns it into the header. Must be
 * registered before the routes (it wraps handlers as they are added).
 */
export function registerCacheHeaders(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => routeScope(m, route.url) === 'search')) return;
    const handler = route.handler as (...args: Parameters<RouteHandlerMethod>) => unknown;
    route.handler = function (this: FastifyInstance, request, reply) {
      const status: CacheStatus = {};
      statuses.set(request, status);
      return withCacheStatus(status, () => handler.call(this, request, reply));
    } as RouteHandlerMethod;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const result = statuses.get(request)?.result;
    if (result && reply.statusCode < 400) reply.header('x-cache', result);
    return payload;
  });
}
