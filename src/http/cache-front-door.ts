import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CacheStore } from '../cache/store.js';
import { siftMetrics } from '../metrics/registry.js';
import { INDEX_NAME } from '../schema/index-name.js';
import { cacheKeyOf, normalizedQuery } from './plugins/response-cache.js';
import { checkRawUrl } from './raw-url.js';

/** The cached GET routes, by pattern: the operation they count as and the index a fixed path serves. */
const FIXED_ROUTES: Record<string, { pattern: string; operation: 'search' | 'suggest' }> = {
  '/api/search': { pattern: '/api/search', operation: 'search' },
  '/api/suggest': { pattern: '/api/suggest', operation: 'suggest' },
};
const INDEX_PREFIX = '/api/indexes/';
const INDEX_ROUTES: Record<string, { pattern: string; operation: 'search' | 'suggest' }> = {
  search: { pattern: '/api/indexes/:index/search', operation: 'search' },
  suggest: { pattern: '/api/indexes/:index/suggest', operation: 'suggest' },
};
/** Headers that belong to one response, never to the template of the next. */
const PER_RESPONSE = new Set(['x-request-id', 'content-length', 'date', 'connection', 'keep-alive']);

export interface FrontDoorOptions {
  /** Must answer synchronously; a store that cannot (Redis) leaves every request to the full path. */
  store: CacheStore;
  defaultIndex: string;
  metricsEnabled: boolean;
  requestId(req: IncomingMessage): string;
  /**
   * True when the full path would do more for this request than answer it: the rate limit counts it, request
   * logging writes it, the server drains or hands over. Asked on every request.
   */
  busy(): boolean;
  /** Anonymous requests may search (auth off, or public reads). */
  anonymousSearch: boolean;
  /**
   * Told of every search it answered (analytics): the index, the raw query string, the answer and the time it
   * took. Must be as cheap as the answer itself (a push).
   */
  onSearchAnswered?: (index: string, query: string, answer: string | Buffer, elapsedMs: number) => void;
}

interface Route {
  pattern: string;
  operation: 'search' | 'suggest';
  index: string;
}

/** A URL's route and cache key; null for a URL the front door never answers. */
type Target = { route: Route; key: string } | null;

/** How many URLs' targets are remembered before they are all forgotten. */
const TARGETS_REMEMBERED = 10_000;
/** Longer URLs are resolved every time, so the remembered ones stay under ~10 MB. */
const LONGEST_REMEMBERED = 1024;

/**
 * Answers repeated searches before Fastify sees them. A cache hit on the full path still builds Fastify's request
 * and reply, a child logger, and runs a dozen hooks (request checks, metrics, security and CORS headers, auth, the
 * unrouted check, the lookup, the onSend hooks) to answer stored bytes. The front door answers the same hit from
 * the raw request: the route from the path, the key as the response cache computes it (the same function), the
 * entry from the same store under the same generation, and the headers the full path sent for its last hit of that
 * route (learned from it, so they cannot drift: security headers, CORS, `X-Cache: HIT`), with this request's id.
 * It counts the request, its duration and the hit in the same metrics.
 *
 * It only answers what the full path would answer exactly the same way, and hands everything else to Fastify:
 * any method but GET, a body, a credential (the principal could carry a filter or lack the scope), an Origin
 * (CORS headers depend on it), a missing Host, a URL the full path refuses (control characters, bad
 * percent-encoding) or whose path the router would decode, an index name outside the plain pattern, a miss, a store that answers
 * asynchronously, and any time `busy()` says the full path has more to do (rate limiting, info logging, shutdown,
 * handover). Until the full path has answered one hit of a route, that route has no headers and is not answered.
 */
export class CacheFrontDoor {
  /** Per route pattern, the headers of its last full-path hit as a flat [name, value, ...] list. */
  private readonly templates = new Map<string, (string | number)[]>();
  private readonly counters;
  private readonly targets = new Map<string, Target>();
  /** Labelled children of the HTTP metrics, by route pattern: the labels are constant for a 200 GET. */
  private readonly http = new Map<
    string,
    { requests: { inc(): void }; duration: { observe(v: number): void } }
  >();

  constructor(private readonly opts: FrontDoorOptions) {
    const m = siftMetrics();
    const counters = (operation: 'search' | 'suggest') => {
      const hit = m.cacheRequests.labels({ operation, result: 'hit' });
      const front = m.cacheFrontDoor.labels({ operation });
      return {
        inc() {
          hit.inc();
          front.inc();
        },
      };
    };
    this.counters = { search: counters('search'), suggest: counters('suggest') };
  }

  /** Puts the front door before Fastify's handler on the app's server. */
  install(server: Server): void {
    const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    if (handlers.length !== 1) throw new Error(`expected one request handler, found ${handlers.length}`);
    const fastify = handlers[0]!;
    server.removeListener('request', fastify);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.answer(req, res)) fastify(req, res);
    });
  }

  /**
   * Called by the response cache when the full path answered a hit: the headers it sent become the template of
   * its route, when the request is one the front door would have answered.
   */
  learn(request: FastifyRequest, reply: FastifyReply): void {
    if (!this.eligible(request.raw)) return;
    const pattern = request.routeOptions.url;
    if (!pattern) return;
    const template: (string | number)[] = [];
    for (const [name, value] of Object.entries(reply.getHeaders() as OutgoingHttpHeaders)) {
      if (value === undefined || PER_RESPONSE.has(name.toLowerCase())) continue;
      for (const v of Array.isArray(value) ? value : [value]) template.push(name, v);
    }
    this.templates.set(pattern, template);
  }

  /** Answers the request when it is a hit the front door may answer; false hands it to Fastify. */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.templates.size === 0 || req.method !== 'GET' || !this.eligible(req)) return false;
    const started = process.hrtime.bigint();
    const url = req.url ?? '';
    const target = this.targetOf(url);
    if (!target) return false;
    const { route } = target;
    const template = this.templates.get(route.pattern);
    if (!template) return false;
    const body = this.opts.store.lookupNow?.(route.index, target.key);
    if (body === undefined) return false;
    const headers = template.slice();
    headers.push(
      'content-length',
      typeof body === 'string' ? Buffer.byteLength(body) : body.length,
      'x-request-id',
      this.opts.requestId(req),
    );
    res.writeHead(200, headers);
    res.end(body);
    this.counters[route.operation].inc();
    if (this.opts.metricsEnabled || this.opts.onSearchAnswered) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (this.opts.metricsEnabled) {
        const m = this.metricsOf(route.pattern);
        m.requests.inc();
        m.duration.observe(seconds);
      }
      if (route.operation === 'search' && this.opts.onSearchAnswered) {
        const q = url.indexOf('?');
        this.opts.onSearchAnswered(route.index, q === -1 ? '' : url.slice(q + 1), body, seconds * 1000);
      }
    }
    return true;
  }

  /** What makes a request one the full path would answer as a plain hit, apart from its route and the entry. */
  private eligible(req: IncomingMessage): boolean {
    const h = req.headers;
    return (
      this.opts.anonymousSearch &&
      this.opts.store.lookupNow !== undefined &&
      req.httpVersionMajor === 1 &&
      h.authorization === undefined &&
      h['x-api-key'] === undefined &&
      h.origin === undefined &&
      h['content-length'] === undefined &&
      h['transfer-encoding'] === undefined &&
      h.host !== undefined &&
      !this.opts.busy()
    );
  }

  /**
   * The route and cache key of a URL, remembered (up to LONGEST_REMEMBERED characters): both are functions of the URL alone, and a cache that answers
   * hits sees the same URLs again. Forgotten all at once past TARGETS_REMEMBERED, so the memory stays bounded.
   */
  private targetOf(url: string): Target | null {
    let target = this.targets.get(url);
    if (target !== undefined) return target;
    const route = this.routeOf(url);
    target = route && { route, key: cacheKeyOf('GET', route.pattern, '', normalizedQuery(url)) };
    if (url.length > LONGEST_REMEMBERED) return target;
    if (this.targets.size >= TARGETS_REMEMBERED) this.targets.clear();
    this.targets.set(url, target);
    return target;
  }

  /**
   * The cached route of a URL whose path is plain (no percent sign: the router would decode it) and which passes
   * the full path's URL check (control characters, percent-encoding that is not UTF-8), with its index.
   */
  private routeOf(url: string): Route | null {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.includes('%')) return null;
    try {
      checkRawUrl(url);
    } catch {
      return null;
    }
    const fixed = FIXED_ROUTES[path];
    if (fixed) return { ...fixed, index: this.opts.defaultIndex };
    if (!path.startsWith(INDEX_PREFIX)) return null;
    const slash = path.indexOf('/', INDEX_PREFIX.length);
    if (slash === -1) return null;
    const route = INDEX_ROUTES[path.slice(slash + 1)];
    const index = path.slice(INDEX_PREFIX.length, slash);
    if (!route || !INDEX_NAME.test(index)) return null;
    return { ...route, index };
  }

  private metricsOf(pattern: string) {
    let m = this.http.get(pattern);
    if (!m) {
      const metrics = siftMetrics();
      const labels = { route: pattern, method: 'GET', status: '200' };
      m = { requests: metrics.httpRequests.labels(labels), duration: metrics.httpDuration.labels(labels) };
      this.http.set(pattern, m);
    }
    return m;
  }
}
