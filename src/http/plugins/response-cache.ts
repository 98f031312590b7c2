import { createHash } from 'node:crypto';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestAbortHookHandler,
  onResponseHookHandler,
  onSendHookHandler,
  preValidationHookHandler,
  RouteOptions,
} from 'fastify';
import type { Principal } from '../../auth/principal.js';
import type { CacheStore } from '../../cache/store.js';
import { siftMetrics } from '../../metrics/registry.js';

/** The routes whose answers are cached, and the operation they are counted as. */
const CACHED_ROUTES: Record<string, 'search' | 'suggest'> = {
  '/api/search': 'search',
  '/api/indexes/:index/search': 'search',
  '/api/suggest': 'suggest',
  '/api/indexes/:index/suggest': 'suggest',
};
const JSON_TYPE = 'application/json; charset=utf-8';
/** Keys up to this length are used as they are; longer ones (big POST bodies) are hashed. */
const RAW_KEY_MAX = 512;

export interface ResponseCacheOptions {
  store: CacheStore;
  ttlMs: number;
  defaultIndex: string;
  /** Told of every hit the full path answered, once it is answered (the front door learns its headers). */
  onHitAnswered?: (request: FastifyRequest, reply: FastifyReply) => void;
}

/** A miss being answered by the handler: where its answer is stored, and who waits for it. */
interface Pending {
  index: string;
  generation: string;
  key: string;
  operation: 'search' | 'suggest';
  /** The store failed at lookup: answer uncached, store nothing. */
  bypass: boolean;
  /** Set when this request leads a flight that identical concurrent misses wait on. */
  flight: Flight | null;
  flightKey: string;
}
interface Flight {
  body: Promise<string | null>;
  settle(body: string | null): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    siftCachePending: Pending | null;
    /** This request was answered from the cache (by the lookup or a flight it joined). */
    siftCacheHit: boolean;
  }
}

/** A scoped key's filter, serialized once per filter object: it is part of every cache key of its requests. */
const restrictionKeys = new WeakMap<object, string>();
function restrictionKey(principal: Principal | null | undefined): string {
  const filter = principal?.filter;
  if (!filter) return '';
  let key = restrictionKeys.get(filter);
  if (key === undefined) {
    key = JSON.stringify(filter);
    restrictionKeys.set(filter, key);
  }
  return key;
}

const nameOf = (pair: string) => {
  const eq = pair.indexOf('=');
  return eq === -1 ? pair : pair.slice(0, eq);
};
/**
 * The query string with its parameters in name order (a stable sort: repeated names keep their order), so
 * `?q=a&size=5` and `?size=5&q=a` share an entry. Every parameter that arrives is part of it, so parameters
 * added to the API later are covered without changes here.
 */
export function normalizedQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const query = url.slice(q + 1);
  if (!query.includes('&')) return query;
  return query
    .split('&')
    .sort((a, b) => {
      const x = nameOf(a);
      const y = nameOf(b);
      return x < y ? -1 : x > y ? 1 : 0;
    })
    .join('&');
}

/**
 * The cache key of a request, from what arrived: method, route, the principal's restriction, and the normalized
 * query string (GET) or the parsed body serialized again (POST; parsing is what the handler would see, so two
 * spellings of one body share an entry). The index and its generation are added by the store.
 */
export function responseCacheKey(request: FastifyRequest): string {
  const input =
    request.method === 'POST' ? JSON.stringify(request.body ?? {}) : normalizedQuery(request.raw.url ?? '');
  return cacheKeyOf(request.method, request.routeOptions.url ?? '', restrictionKey(request.principal), input);
}

/** The key of a request from its parts (the front door computes it from the raw request alone). */
export function cacheKeyOf(method: string, route: string, restriction: string, input: string): string {
  const raw = `${method}\u0000${route}\u0000${restriction}\u0000${input}`;
  return raw.length <= RAW_KEY_MAX ? `k:${raw}` : `h:${createHash('sha256').update(raw).digest('base64url')}`;
}

const toArray = <T>(hooks: T | T[] | undefined): T[] =>
  hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];

/**
 * The response cache of search and suggest. A hit is answered in a preValidation hook — after authentication
 * (onRequest) and the rate limit (preValidation, registered before this), before validation, the search model
 * and the engine — with the serialized body stored by the miss that produced it. The key is the raw request
 * (responseCacheKey) under the index's generation, which every write bumps before it is acknowledged (see
 * src/service/engine-stack.ts), so a search that starts after a write was acknowledged never gets an answer from
 * before it.
 * A scoped key's filter is part of the key: one key can never be served another's answer.
 *
 * Only 200 answers are stored. Concurrent identical misses wait for the first one's answer (single flight), and
 * stay joinable until it is stored. A store failure (Redis down) serves uncached. `X-Cache: HIT|MISS` on every
 * answer below 400. Must be registered after the rate limiter and before the routes.
 */
export function registerResponseCache(app: FastifyInstance, opts: ResponseCacheOptions): void {
  const { store, ttlMs } = opts;
  const metrics = siftMetrics();
  const flights = new Map<string, Flight>();
  const counters = {
    search: {
      hit: metrics.cacheRequests.labels({ operation: 'search', result: 'hit' }),
      miss: metrics.cacheRequests.labels({ operation: 'search', result: 'miss' }),
      bypass: metrics.cacheRequests.labels({ operation: 'search', result: 'bypass' }),
    },
    suggest: {
      hit: metrics.cacheRequests.labels({ operation: 'suggest', result: 'hit' }),
      miss: metrics.cacheRequests.labels({ operation: 'suggest', result: 'miss' }),
      bypass: metrics.cacheRequests.labels({ operation: 'suggest', result: 'bypass' }),
    },
  };
  const storeFailed = () => metrics.cacheErrors.inc({ store: store.kind });

  const serve = (reply: FastifyReply, body: string | Buffer): FastifyReply => {
    reply.request.siftCacheHit = true;
    return reply.header('content-type', JSON_TYPE).header('x-cache', 'HIT').send(body);
  };

  /** Ends this request's part in its flight, once: waiters get the body, or null to go on their own. */
  const finish = (request: FastifyRequest, body: string | null): Pending | null => {
    const pending = request.siftCachePending;
    if (!pending) return null;
    request.siftCachePending = null;
    pending.flight?.settle(body);
    return pending;
  };
  /** Later identical misses start their own flight (or find the stored entry) from now on. */
  const forget = (pending: Pending) => {
    if (pending.flight && flights.get(pending.flightKey) === pending.flight)
      flights.delete(pending.flightKey);
  };

  const lookup = (operation: 'search' | 'suggest', fixedIndex: string | null): preValidationHookHandler =>
    async function responseCacheLookup(request, reply) {
      const index = fixedIndex ?? (request.params as { index: string }).index;
      const key = responseCacheKey(request);
      let generation: string;
      try {
        const found = await store.lookup(index, key);
        if (found.value !== undefined) {
          counters[operation].hit.inc();
          return serve(reply, found.value);
        }
        generation = found.generation;
      } catch {
        storeFailed();
        request.siftCachePending = {
          index,
          generation: '',
          key,
          operation,
          bypass: true,
          flight: null,
          flightKey: '',
        };
        return;
      }
      const flightKey = `${index}\u0000${key}${generation}`;
      const running = flights.get(flightKey);
      if (running) {
        const body = await running.body;
        if (body !== null) {
          counters[operation].hit.inc();
          return serve(reply, body);
        }
      }
      let flight: Flight | null = null;
      if (!running) {
        let settleFlight!: (body: string | null) => void;
        const body = new Promise<string | null>((resolve) => (settleFlight = resolve));
        flight = { body, settle: settleFlight };
        flights.set(flightKey, flight);
      }
      request.siftCachePending = { index, generation, key, operation, bypass: false, flight, flightKey };
    };

  // Plain hooks (no promise), as they run on every cached route's request.
  const remember: onSendHookHandler = function responseCacheStore(request, reply, payload, done) {
    const ok = reply.statusCode === 200 && typeof payload === 'string';
    const pending = finish(request, ok ? (payload as string) : null);
    if (pending) {
      if (reply.statusCode < 400) {
        reply.header('x-cache', 'MISS');
        counters[pending.operation][pending.bypass ? 'bypass' : 'miss'].inc();
      }
      if (ok && !pending.bypass) {
        // The answer does not wait for the store, and a store failure must not fail the request; identical
        // misses keep joining the flight until the entry is there.
        void store
          .put(pending.index, pending.generation, pending.key, payload as string, ttlMs)
          .catch(storeFailed)
          .finally(() => forget(pending));
      } else forget(pending);
    }
    done(null, payload);
  };
  // A request that ends without onSend (the client went away) must not leave waiters behind.
  const release = (request: FastifyRequest) => {
    const pending = finish(request, null);
    if (pending) forget(pending);
  };
  const releaseOnResponse: onResponseHookHandler = (request, reply, done) => {
    release(request);
    if (request.siftCacheHit && opts.onHitAnswered) opts.onHitAnswered(request, reply);
    done();
  };
  const releaseOnAbort: onRequestAbortHookHandler = (request, done) => {
    release(request);
    done();
  };

  app.decorateRequest('siftCachePending', null);
  app.decorateRequest('siftCacheHit', false);
  app.addHook('onRoute', (route: RouteOptions) => {
    const operation = CACHED_ROUTES[route.url];
    if (!operation) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.every((m) => m === 'GET' || m === 'POST')) return;
    const fixedIndex = route.url.includes(':index') ? null : opts.defaultIndex;
    route.preValidation = [...toArray(route.preValidation), lookup(operation, fixedIndex)];
    route.onSend = [...toArray(route.onSend), remember];
    route.onResponse = [...toArray(route.onResponse), releaseOnResponse];
    route.onRequestAbort = [...toArray(route.onRequestAbort), releaseOnAbort];
  });
}
