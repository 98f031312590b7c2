import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CacheStore } from './cache/store.js';
import type { Config } from './config/config.js';
import { SiftError } from './errors.js';
import { MAX_ID_LENGTH } from './schema/document.js';
import type { SearchService } from './service/search-service.js';
import {
  answerUnroutedBeforeBody,
  installErrorHandling,
  sendError,
  toSiftError,
} from './http/plugins/errors.js';
import { registerJsonParser } from './http/plugins/ndjson.js';
import { checkRawUrl } from './http/raw-url.js';
import { buildValidator } from './http/validation.js';
import { trackAllowedMethods } from './http/plugins/allowed-methods.js';
import { registerRequestChecks } from './http/plugins/request-checks.js';
import {
  answerFailedExpectation,
  clientErrorHandler,
  rememberingIds,
  serverTimeouts,
} from './http/transport.js';
import { registerOpenApi } from './http/plugins/openapi.js';
import { registerResponseCache } from './http/plugins/response-cache.js';
import { registerHttpMetrics } from './http/plugins/metrics.js';
import { registerRateLimit } from './http/plugins/rate-limit.js';
import { registerSecurity } from './http/plugins/security.js';
import { installAuth } from './http/plugins/auth.js';
import { keyRoutes } from './http/routes/keys.js';
import { Authenticator } from './auth/authenticator.js';
import { EngineKeyStore, type KeyStore } from './auth/key-store.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { anonymousPrincipal } from './auth/authenticator.js';
import { CacheFrontDoor } from './http/cache-front-door.js';
import { documentRoutes } from './http/routes/documents.js';
import { documentPatchRoutes } from './http/routes/document-patch.js';
import { exportRoutes } from './http/routes/export.js';
import { documentsByFilterRoutes } from './http/routes/documents-by-filter.js';
import { healthRoutes } from './http/routes/health.js';
import { indexRoutes } from './http/routes/indexes.js';
import { reindexRoutes } from './http/routes/reindex.js';
import { searchRoutes } from './http/routes/search.js';
import { multiSearchRoutes } from './http/routes/multi-search.js';
import { suggestRoutes } from './http/routes/suggest.js';
import { fieldRoutes } from './http/routes/fields.js';
import { pageRoutes } from './http/routes/page.js';
import { analyticsRoutes } from './http/routes/analytics.js';
import { registerSearchAnalytics } from './http/plugins/search-analytics.js';
import type { AnalyticsRecorder } from './analytics/recorder.js';
import { createAppState, type AppState } from './http/state.js';
import { createLogger } from './observability/logger.js';

export type { AppState } from './http/state.js';

export interface BuildAppOptions {
  config: Config;
  service: SearchService;
  /** A pino logger; `false` for none; omitted: one built from the configuration. */
  logger?: Logger | false;
  state?: AppState;
  /** The shared Redis connection (rate limit counters); null or omitted counts in process memory. */
  redis?: Redis | null;
  /** Where API keys live; omitted: the reserved keys index of the service's engine. */
  keyStore?: KeyStore;
  /**
   * Where search and suggest answers are cached (the store of the service's engine stack, whose writes bump its
   * generations); null or omitted: no response cache.
   */
  cache?: CacheStore | null;
  /** Where answered searches and posted events are recorded; null or omitted: analytics is off. */
  analytics?: AnalyticsRecorder | null;
}

// Kept importable from here for the tests and benchmarks that build an app by hand.
export { limitsFromConfig } from './service/limits.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** An incoming x-request-id is kept when it is sane (so ids follow a request across services), else a UUID. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Builds the HTTP application: parsers, error mapping, OpenAPI, routes. It never listens; server.ts does, and
 * tests use `app.inject()`.
 */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config, service } = opts;
  const state = opts.state ?? createAppState();
  const logger = opts.logger === undefined ? createLogger(config) : opts.logger;

  const options: FastifyServerOptions = {
    bodyLimit: config.BODY_LIMIT_BYTES,
    ...serverTimeouts(config),
    // Refusals Node's HTTP server makes below routing (header overflow, slow clients, malformed HTTP).
    clientErrorHandler: clientErrorHandler(config),
    genReqId: rememberingIds(requestId),
    requestIdHeader: false,
    // X-Forwarded-For is believed only from the configured proxies; anyone else could forge a client address.
    trustProxy: config.TRUSTED_PROXIES.length > 0 ? [...config.TRUSTED_PROXIES] : false,
    // Shutdown answers come from our own hook, in the error format of the contract (SHUTTING_DOWN); Fastify's
    // built-in 503 body would not be.
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Room for the longest document id (512 characters) even when every character is percent-encoded UTF-8.
    routerOptions: { maxParamLength: MAX_ID_LENGTH * 12 },
    // Bodies are validated strictly, query strings and path parameters with type conversion (src/http/validation.ts).
    schemaController: { compilersFactory: { buildValidator } },
    frameworkErrors: (err, request, reply) => {
      sendError(reply, toSiftError(err, request));
    },
  };
  const app = (
    logger === false
      ? Fastify({ ...options, logger: false })
      : Fastify({ ...options, loggerInstance: logger as FastifyBaseLogger })
  ) as FastifyInstance;

  app.server.on('checkExpectation', (req, res) => answerFailedExpectation(app, req, res));
  const noRoute = installErrorHandling(app, trackAllowedMethods(app));
  registerRequestChecks(app);
  if (config.METRICS_ENABLED) registerHttpMetrics(app);
  registerJsonParser(app);

  app.addHook('onRequest', async (request, reply) => {
    checkRawUrl(request.raw.url ?? '');
    if (state.shuttingDown && !request.url.startsWith('/health')) {
      reply.header('connection', 'close');
      throw new SiftError('SHUTTING_DOWN', 'the server is shutting down; retry on another replica', {
        retry_after: 1,
      });
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    // While draining, answered connections close instead of idling in keep-alive, so close() can finish; while
    // handing over to a replacement worker, so keep-alive clients move to the workers that stay.
    if (state.shuttingDown || state.handingOff) reply.header('connection', 'close');
    return payload;
  });

  await registerSecurity(app, config);
  const auth = await Authenticator.create(config, opts.keyStore ?? new EngineKeyStore(service.engine));
  installAuth(app, config, auth);
  await registerRateLimit(app, config, opts.redis ?? null);
  answerUnroutedBeforeBody(app, noRoute);
  const recorder = opts.analytics ?? null;
  // Before the routes: it adds its hook to the search routes as they are registered.
  if (recorder) registerSearchAnalytics(app, recorder, config.DEFAULT_INDEX);
  const frontDoor =
    opts.cache && config.CACHE_TTL_SECONDS > 0
      ? new CacheFrontDoor({
          store: opts.cache,
          defaultIndex: config.DEFAULT_INDEX,
          metricsEnabled: config.METRICS_ENABLED,
          requestId,
          anonymousSearch: anonymousPrincipal(config, '').scopes.has('search'),
          ...(recorder
            ? {
                onSearchAnswered: (index: string, query: string, answer: string | Buffer, ms: number) =>
                  recorder.recordSearch({
                    at: Date.now(),
                    index,
                    input: query,
                    answer,
                    latencyMs: ms,
                    principal: 'anonymous',
                  }),
              }
            : {}),
          // Whatever the full path would add to a hit: a rate limit count, request log lines, Connection: close.
          busy: () =>
            config.RATE_LIMIT_ENABLED ||
            state.shuttingDown ||
            state.handingOff === true ||
            (logger !== false && logger.isLevelEnabled('info')),
        })
      : null;
  if (opts.cache && config.CACHE_TTL_SECONDS > 0)
    registerResponseCache(app, {
      store: opts.cache,
      ttlMs: config.CACHE_TTL_SECONDS * 1000,
      defaultIndex: config.DEFAULT_INDEX,
      ...(frontDoor ? { onHitAnswered: (request, reply) => frontDoor.learn(request, reply) } : {}),
    });
  await registerOpenApi(app, config);
  if (config.METRICS_ENABLED) await app.register(metricsRoutes);
  await app.register(healthRoutes, { config, service, state });
  await app.register(searchRoutes, { config, service });
  await app.register(suggestRoutes, { config, service, popular: recorder?.popular ?? null });
  await app.register(fieldRoutes, { service });
  await app.register(multiSearchRoutes, { config, service, recorder });
  await app.register(indexRoutes, { service });
  await app.register(reindexRoutes, { service });
  await app.register(documentRoutes, { service });
  await app.register(documentPatchRoutes, { service });
  await app.register(exportRoutes, { service });
  await app.register(documentsByFilterRoutes, { service });
  await app.register(keyRoutes, { keys: auth.keys });
  await app.register(pageRoutes, { config });
  await app.register(analyticsRoutes, { recorder });
  await app.ready();
  frontDoor?.install(app.server);
  return app;
}
