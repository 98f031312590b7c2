import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { serveWorkerPoolGenerations } from '../cache/worker-generations.js';
import type { Config } from '../config/config.js';
import { POOL_WORKER_ENV, serveWorkerPoolMetrics } from '../metrics/worker-metrics.js';
import { openSift } from '../compose.js';
import { loadSampleAtStart } from '../service/sample-data.js';
import { RestartBackoff } from './backoff.js';
import { HANDOFF, isWorkerReady } from './messages.js';

/** Longest a new worker may take to listen before it counts as failed. */
const READY_TIMEOUT_MS = 60_000;

interface Tracked {
  worker: Worker;
  startedAt: number;
  /** Being stopped on purpose (rolling restart, shutdown): its exit is not a crash. */
  retiring: boolean;
  /** It reported listening; before that it holds no connection, so a signal ending it loses nothing. */
  listening: boolean;
}

export interface PrimaryOptions {
  exit?: (code: number) => void;
}

/** Work done once, before any worker exists: two workers racing to create the sample index would collide. */
async function prepareData(config: Config, logger: Logger): Promise<void> {
  if (!config.LOAD_SAMPLE_DATA) return;
  // Built like every other process's: with Redis, the sample's writes invalidate what servers cached before.
  const sift = await openSift(config, { logger, answersFromCache: false });
  try {
    await loadSampleAtStart(sift.service, config, logger);
  } finally {
    await sift.close();
  }
}

/**
 * The worker pool's primary: prepares the data, forks WORKERS workers that share the listening socket, and keeps them
 * running. A crashed worker is replaced (with backoff while crashes repeat). SIGHUP replaces the workers one at
 * a time — the new one listens before the old one drains — so no request fails. SIGTERM/SIGINT drain every
 * worker and exit 0 (1 if a worker had to be killed or failed). It serves no HTTP itself.
 */
export async function runPrimary(
  config: Config,
  logger: Logger,
  opts: PrimaryOptions = {},
): Promise<{ url: string }> {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  await prepareData(config, logger);
  serveWorkerPoolMetrics();
  serveWorkerPoolGenerations();

  const live = new Map<number, Tracked>();
  const backoff = new RestartBackoff();
  let stopping = false;
  let everReady = false;
  let url = '';

  const fork = (): Promise<Tracked> => {
    const worker = cluster.fork({ [POOL_WORKER_ENV]: '1' });
    const tracked: Tracked = { worker, startedAt: Date.now(), retiring: false, listening: false };
    live.set(worker.id, tracked);
    return new Promise<Tracked>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        worker.process.kill('SIGKILL');
        reject(new Error(`worker ${worker.process.pid} did not listen within ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS);
      const onMessage = (message: unknown) => {
        if (!isWorkerReady(message)) return;
        cleanup();
        tracked.listening = true;
        url = message.url;
        logger.info({ worker_pid: worker.process.pid }, `worker ${worker.process.pid} listening`);
        resolve(tracked);
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`worker ${worker.process.pid} exited (${signal ?? code}) before listening`));
      };
      function cleanup() {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      }
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
  };

  const replace = (delayMs: number) => {
    setTimeout(() => {
      if (stopping) return;
      fork().then(
        (t) => logger.info(`worker ${t.worker.process.pid} started as a replacement`),
        (err: Error) => logger.error(`replacement worker failed: ${err.message}`),
      );
    }, delayMs).unref();
  };

  cluster.on('exit', (worker, code, signal) => {
    const tracked = live.get(worker.id);
    live.delete(worker.id);
    if (!tracked || tracked.retiring || stopping || !everReady) return;
    const delay = backoff.next(Date.now() - tracked.startedAt);
    logger.error(
      { pid: worker.process.pid, code, signal, restart_in_ms: delay },
      `worker ${worker.process.pid} died (${signal ?? code}); replacing it`,
    );
    replace(delay);
  });

  const graceMs = config.SHUTDOWN_GRACE_MS + 5000;
  /**
   * Asks a worker to drain (SIGTERM) or, in a rolling restart, to hand its traffic over; waits for it to exit and
   * kills it past the grace period. Resolves its exit code.
   */
  const retire = async (tracked: Tracked, how: 'drain' | 'handoff' = 'drain'): Promise<number> => {
    tracked.retiring = true;
    const { worker } = tracked;
    if (worker.isDead()) return worker.process.exitCode ?? 1;
    const exited = once(worker, 'exit') as Promise<[number | null, string | null]>;
    if (how === 'handoff' && worker.isConnected()) worker.send({ type: HANDOFF });
    else worker.process.kill('SIGTERM');
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), graceMs);
    const [code, signal] = await exited;
    clearTimeout(timer);
    // A worker still starting up when asked to stop may die of the signal before its handler exists: not a failure.
    if (!tracked.listening && signal === 'SIGTERM') return 0;
    return signal ? 1 : (code ?? 1);
  };

  let rolling: Promise<void> | null = null;
  let rollAgain = false;
  const roll = async (): Promise<void> => {
    const old = [...live.values()].filter((t) => !t.retiring);
    logger.info(`SIGHUP: replacing ${old.length} worker(s) one at a time`);
    for (const tracked of old) {
      if (stopping) return;
      try {
        const fresh = await fork();
        logger.info(
          `worker ${fresh.worker.process.pid} listening; retiring worker ${tracked.worker.process.pid}`,
        );
      } catch (err) {
        logger.error(`rolling restart stopped, old workers kept: ${(err as Error).message}`);
        return;
      }
      await retire(tracked, 'handoff');
    }
    logger.info('rolling restart complete');
  };
  const onHangup = () => {
    if (stopping) return;
    if (rolling) {
      rollAgain = true;
      return;
    }
    rolling = roll().finally(() => {
      rolling = null;
      if (rollAgain) {
        rollAgain = false;
        onHangup();
      }
    });
  };

  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      logger.warn(`${signal} received again while draining; killing the workers`);
      for (const t of live.values()) t.worker.process.kill('SIGKILL');
      exit(1);
      return;
    }
    stopping = true;
    logger.info(`${signal} received: draining ${live.size} worker(s)`);
    const codes = await Promise.all([...live.values()].map((t) => retire(t)));
    const failed = codes.filter((c) => c !== 0).length;
    if (failed) logger.error(`${failed} worker(s) did not drain cleanly`);
    else logger.info('all workers drained');
    exit(failed ? 1 : 0);
  };

  process.on('SIGHUP', onHangup);
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    await Promise.all(Array.from({ length: config.WORKERS }, fork));
  } catch (err) {
    stopping = true;
    logger.error(`a worker failed to start: ${(err as Error).message}`);
    await Promise.all([...live.values()].map((t) => retire(t)));
    throw err;
  }
  everReady = true;
  logger.info(
    { url, workers: config.WORKERS, pid: process.pid },
    `Sift worker pool of ${config.WORKERS} worker(s) ready on ${url}`,
  );
  return { url };
}
