import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/config.js';
import { cacheNamespace } from '../../cache/namespace.js';
import { SiftError } from '../../errors.js';
import { siftMetrics } from '../../metrics/registry.js';
import { routeScope, type RouteScope } from '../route-scope.js';

/** The scope the matched route declares in its options; null (not limited) for public and unknown routes. */
const scopeOf = (request: FastifyRequest): RouteScope | null => routeScope(request);

/**
 * Who a request counts against: the authenticated principal when the auth layer set one (so clients behind one
 * NAT do not share a budget, and one key cannot escape its budget by changing address), else the client
 * address — which honours X-Forwarded-For only from TRUSTED_PROXIES (Fastify's trustProxy).
 */
export function clientKey(request: FastifyRequest): string {
  const principal = (request as { principal?: { id?: string } }).principal;
  return principal?.id ? `principal:${principal.id}` : `ip:${request.ip}`;
}

/**
 * Per-client, per-scope limits per minute (RATE_LIMIT_{SEARCH,WRITE,ADMIN}_PER_MINUTE), counted in Redis when
 * configured (one budget across workers and replicas) or in process memory. Runs at preValidation, after the auth
 * hook (onRequest) has set the principal, and before bad input is rejected so malformed floods count too.
 * A refusal is 429 RATE_LIMITED with Retry-After and RateLimit-Limit/-Remaining/-Reset; when Redis fails the
 * request is let through rather than refused.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  config: Config,
  redis: Redis | null,
): Promise<void> {
  if (!config.RATE_LIMIT_ENABLED) return;
  const limits: Record<RouteScope, number> = {
    search: config.RATE_LIMIT_SEARCH_PER_MINUTE,
    write: config.RATE_LIMIT_WRITE_PER_MINUTE,
    admin: config.RATE_LIMIT_ADMIN_PER_MINUTE,
  };
  const metrics = siftMetrics();
  await app.register(rateLimit, {
    global: true,
    hook: 'preValidation',
    timeWindow: 60_000,
    max: (request) => limits[scopeOf(request) ?? 'search'],
    keyGenerator: (request) => `${scopeOf(request) ?? 'none'}:${clientKey(request)}`,
    allowList: (request) => scopeOf(request) === null,
    enableDraftSpec: true,
    skipOnError: true,
    ...(redis ? { redis, nameSpace: `${cacheNamespace(config)}ratelimit:` } : {}),
    onExceeded: (request) => metrics.rateLimited.inc({ scope: scopeOf(request) ?? 'none' }),
    errorResponseBuilder: (request, context) => {
      const retryAfter = Math.max(1, Math.ceil(context.ttl / 1000));
      return new SiftError(
        'RATE_LIMITED',
        `too many ${scopeOf(request) ?? ''} requests: the limit is ${context.max} per minute; retry in ${retryAfter} s`,
        { limit: context.max, scope: scopeOf(request), retry_after: retryAfter },
      );
    },
  });
}
