import cluster from 'node:cluster';
import type { Config } from '../config/config.js';
import { createLogger } from '../observability/logger.js';
import { runPrimary, type PrimaryOptions } from './primary.js';
import { runWorker } from './worker.js';

/**
 * Serves with a worker pool (node:cluster): the same entry script runs as the primary (first) and again in every worker, so
 * callers just call this. The primary resolves with the URL once all workers listen; a worker resolves null
 * once it listens.
 * Both then live until signalled.
 */
export async function runWorkerPool(
  config: Config,
  opts: PrimaryOptions = {},
): Promise<{ url: string } | null> {
  const logger = createLogger(config);
  if (cluster.isPrimary) return runPrimary(config, logger, opts);
  await runWorker(config, logger);
  return null;
}
