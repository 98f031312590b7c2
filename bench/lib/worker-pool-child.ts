/**
 * Sift as a worker pool (a node:cluster primary) with WORKERS workers, for the hardening benchmark. The parent sets the
 * environment; the primary prints `SIFT_URL <url>` once every worker listens (the workers re-run this script).
 * SIGHUP rolls the workers. Exits when its stdin closes.
 */
import { loadConfig } from '../../src/config/config.js';
import { runWorkerPool } from '../../src/workers/pool.js';

const started = await runWorkerPool(loadConfig({ ...process.env }));
if (started) {
  process.stdout.write(`SIFT_URL ${started.url}\n`);
  process.stdin.resume();
  process.stdin.on('close', () => process.kill(process.pid, 'SIGTERM'));
}
