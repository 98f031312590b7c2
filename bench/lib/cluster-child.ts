/**
 * Sift as a node:cluster primary with WORKERS workers, for the hardening benchmark. The parent sets the
 * environment; the primary prints `SIFT_URL <url>` once every worker listens (the workers re-run this script).
 * SIGHUP rolls the workers. Exits when its stdin closes.
 */
import { loadConfig } from '../../src/config/config.js';
import { runCluster } from '../../src/workers/cluster.js';

const started = await runCluster(loadConfig({ ...process.env }));
if (started) {
  process.stdout.write(`SIFT_URL ${started.url}\n`);
  process.stdin.resume();
  process.stdin.on('close', () => process.kill(process.pid, 'SIGTERM'));
}
