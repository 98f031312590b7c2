/**
 * The ceiling: a bare Fastify server with one route, GET /api/search, answering a fixed 2 KB JSON body whatever
 * the query. Same framework and same URLs as Sift, without the search. Prints `SIFT_URL <url>` once listening
 * and exits on SIGTERM or when its stdin closes.
 */
import Fastify from 'fastify';

const hits = Array.from({ length: 10 }, (_, i) => ({
  id: `package-${i}`,
  score: 12.5 - i,
  document: { name: `package-${i}`, version: '1.0.0', downloads: 1000 * i, scope: null, summary: '' },
}));
const base = {
  hits,
  total: 10,
  total_relation: 'eq',
  facets: {},
  next_cursor: null,
  took_ms: 0,
  partial: false,
};
// Pad a summary so the serialized body is exactly 2,048 bytes.
const pad = 2048 - JSON.stringify(base).length;
hits[0]!.document.summary = 'x'.repeat(Math.max(0, pad));
const BODY = JSON.stringify(base);

const app = Fastify({ logger: false });
app.get('/api/search', async (_req, reply) => reply.type('application/json; charset=utf-8').send(BODY));
await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const addr = app.server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;
process.stdout.write(`SIFT_URL http://127.0.0.1:${port}\n`);

const stop = () => void app.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.resume();
process.stdin.on('close', stop);
