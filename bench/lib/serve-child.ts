/**
 * The real Sift server in its own process, for the HTTP benchmarks. The parent sets DATA_DIR, HOST, PORT (0 picks
 * a free port), ENVIRONMENT, JWT_SECRET and LOG_LEVEL; this prints `SIFT_URL <url>` on stdout once listening.
 * It exits when its stdin closes, so a parent that dies does not leave it running.
 */
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server.js';

const server = await startServer(loadConfig({ ...process.env }));
process.stdout.write(`SIFT_URL ${server.url}\n`);

process.stdin.resume();
process.stdin.on('close', () => {
  void server.stop().finally(() => process.exit(0));
});
