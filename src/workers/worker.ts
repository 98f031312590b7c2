import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { joinWorkerPoolMetrics } from '../metrics/worker-metrics.js';
import { startServer } from '../server.js';
import { isHandoff, WORKER_READY, type WorkerReady } from './messages.js';

/**
 * How long a worker being replaced keeps accepting and answering (each answer closing its connection) before it
 * stops listening: long enough for every busy keep-alive client to make one more request and be moved over.
 */
const HANDOFF_LINGER_MS = 1000;

/**
 * A pool worker: serves HTTP on the port the primary shares, tells the primary once it listens, and drains
 * when the primary asks (SIGTERM) or disappears. SIGINT is left to the primary: a Ctrl-C reaches the whole
 * process group, and the primary then stops the workers in order.
 */
export async function runWorker(config: Config, logger: Logger): Promise<void> {
  joinWorkerPoolMetrics();
  const server = await startServer(config, { logger, handleSignals: false, loadSample: false });
  let draining = false;
  const drain = (why: string) => {
    if (draining) return;
    draining = true;
    logger.info(`worker ${process.pid}: ${why}; draining`);
    const timer = setTimeout(() => {
      logger.error(`worker ${process.pid}: drain exceeded SHUTDOWN_GRACE_MS; exiting anyway`);
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    timer.unref();
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, `worker ${process.pid}: shutdown failed`);
        process.exit(1);
      },
    );
  };
  // Rolling restart: the replacement already listens. Answer normally with Connection: close for a moment, then
  // stop listening (the primary sends new connections to the others) and wait for the last answers to go out.
  const handOff = async () => {
    if (draining) return;
    server.state.handingOff = true;
    logger.info(`worker ${process.pid}: handing over to its replacement`);
    await new Promise((resolve) => setTimeout(resolve, HANDOFF_LINGER_MS));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, config.SHUTDOWN_GRACE_MS);
      server.app.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    drain('handed over');
  };
  process.on('message', (message) => {
    if (isHandoff(message)) void handOff();
  });
  process.on('SIGTERM', () => drain('SIGTERM'));
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => drain('the primary went away'));
  process.send?.({ type: WORKER_READY, url: server.url } satisfies WorkerReady);
}
