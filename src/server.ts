import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { EngineKeyStore } from './auth/key-store.js';
import { openSift } from './compose.js';
import type { Config } from './config/config.js';
import type { Engine } from './engines/engine.js';
import { createAppState, type AppState } from './http/state.js';
import { createLogger } from './observability/logger.js';
import { loadSampleAtStart } from './service/sample-data.js';
import { warmSearchPath } from './service/warm-up.js';
import type { SearchService } from './service/search-service.js';

export interface StartServerOptions {
  /** Defaults to a logger built from the configuration. */
  logger?: Logger;
  /** Install SIGTERM/SIGINT handlers that drain and exit (default true). Tests pass false and call stop(). */
  handleSignals?: boolean;
  /** How the process ends after a signal; process.exit by default. */
  exit?: (code: number) => void;
  /** Load the bundled sample into an empty engine when configured (default true; pool workers pass false). */
  loadSample?: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  engine: Engine;
  service: SearchService;
  state: AppState;
  /** A URL a client on this machine can use (0.0.0.0 and :: are shown as loopback). */
  url: string;
  port: number;
  /**
   * Graceful stop: readiness turns 503 at once, new requests are refused, in-flight requests complete, idle
   * keep-alive sockets close, then the engine closes. Idempotent: every call returns the same promise.
   */
  stop(): Promise<void>;
}

function clientUrl(config: Config, address: AddressInfo): string {
  const host =
    config.HOST === '0.0.0.0' || config.HOST === '::' || config.HOST === '' ? '127.0.0.1' : config.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/**
 * Starts Sift: opens the engine, loads the bundled sample into an empty embedded engine when configured, builds
 * the app and listens on HOST:PORT. On SIGTERM or SIGINT it drains (see RunningServer.stop) and exits 0, or exits 1
 * when draining takes longer than SHUTDOWN_GRACE_MS.
 */
export async function startServer(config: Config, opts: StartServerOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config);
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  // The service sees the engine through the call metrics, the engine deadline and write invalidation; the app
  // answers repeated searches from the stack's store.
  const sift = await openSift(config, { logger, answersFromCache: true, analytics: true });
  const { engine, service } = sift;
  const closeEngine = () => sift.close();
  const state = createAppState();
  let built: FastifyInstance | undefined;
  try {
    if (opts.loadSample !== false) await loadSampleAtStart(service, config, logger);
    const warmStart = Date.now();
    const warmed = await warmSearchPath(sift.rawEngine, config.DEFAULT_INDEX);
    logger.debug({ searches: warmed, ms: Date.now() - warmStart }, 'search path warmed before listening');
    // API keys bypass the result cache: key records (digests included) never land in Redis.
    built = await buildApp({
      config,
      service,
      logger,
      state,
      redis: sift.redis,
      cache: sift.store,
      analytics: sift.analytics,
      keyStore: new EngineKeyStore(sift.rawEngine),
    });
    await built.listen({ host: config.HOST, port: config.PORT });
  } catch (err) {
    await built?.close().catch(() => undefined);
    await closeEngine().catch(() => undefined);
    throw err;
  }
  const app = built;
  state.startedAt = Date.now();
  const address = app.server.address() as AddressInfo;
  const url = clientUrl(config, address);

  const indexes = await service.listIndexes().catch(() => []);
  const counts = indexes.map((i) => `${i.name}=${i.documents}`).join(', ') || 'none';
  logger.info(
    { url, engine: engine.name, indexes: Object.fromEntries(indexes.map((i) => [i.name, i.documents])) },
    `Sift ${config.VERSION} listening on ${url} (engine ${engine.name}; indexes: ${counts})`,
  );

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    if (stopping) return stopping;
    state.shuttingDown = true;
    stopping = (async () => {
      // Sockets that finish their last response while draining are closed by the onSend hook (Connection:
      // close); this sweep catches keep-alive sockets that were idle between requests.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 200);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
        try {
          await closeEngine();
        } finally {
          removeSignalHandlers();
        }
      }
    })();
    return stopping;
  };

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info(`${signal} received: draining (at most ${config.SHUTDOWN_GRACE_MS} ms)`);
    const started = Date.now();
    const timer = setTimeout(() => {
      logger.error(
        `shutdown did not finish within SHUTDOWN_GRACE_MS (${config.SHUTDOWN_GRACE_MS} ms); exiting anyway`,
      );
      exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    stop().then(
      () => {
        clearTimeout(timer);
        logger.info(`shutdown complete in ${Date.now() - started} ms`);
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  // A second signal while draining forces the exit.
  const onSecondSignal = (signal: NodeJS.Signals) => {
    if (!signalled) return onSignal(signal);
    logger.warn(`${signal} received again while draining; exiting now`);
    exit(1);
  };
  function removeSignalHandlers() {
    process.off('SIGTERM', onSecondSignal);
    process.off('SIGINT', onSecondSignal);
  }
  if (opts.handleSignals !== false) {
    process.on('SIGTERM', onSecondSignal);
    process.on('SIGINT', onSecondSignal);
  }

  return { app, engine, service, state, url, port: address.port, stop };
}
