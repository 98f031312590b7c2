/**
 * The reference peer: a minimal Fastify server answering GET /api/search?q=... with a plain FTS5 top-10 query on
 * Sift's own database (read-only): the same MATCH expression Sift builds (each token quoted, AND-ed, the last
 * one also a prefix), FTS5's built-in `rank` (bm25 with equal column weights), the documents of the ten best.
 * No popularity, no exact-name boost, no total, no facets, no highlights, no validation beyond tokenizing, no
 * worker threads: what a hand-written FTS5 endpoint would do. Prints `SIFT_URL <url>` once listening.
 * Environment: SIFT_DB (the database file), SIFT_INDEX (default "packages").
 */
import Database from 'better-sqlite3';
import Fastify from 'fastify';

const db = new Database(process.env.SIFT_DB!, { readonly: true, fileMustExist: true });
db.pragma('cache_size = -32768');
db.pragma('mmap_size = 268435456');
const { tid } = db
  .prepare('SELECT tid FROM sift_indexes WHERE name = ?')
  .get(process.env.SIFT_INDEX ?? 'packages') as { tid: number };
const top10 = db.prepare(
  `SELECT d.id AS id, m.rank AS score, d.src AS src FROM (SELECT rowid, rank FROM f_${tid} WHERE f_${tid} MATCH ? ` +
    `ORDER BY rank LIMIT 10) m JOIN d_${tid} d ON d.rowid = m.rowid ORDER BY m.rank`,
);

function matchExpression(q: string, prefix: boolean): string | null {
  const tokens = q.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!tokens) return null;
  return tokens.map((t, i) => `"${t}"${prefix && i === tokens.length - 1 ? '*' : ''}`).join(' AND ');
}

const app = Fastify({ logger: false });
app.get<{ Querystring: { q?: string } }>('/api/search', async (req) => {
  const q = req.query.q ?? '';
  const match = matchExpression(q, !/\s$/.test(q));
  const rows = match ? (top10.all(match) as { id: string; score: number; src: string }[]) : [];
  return {
    hits: rows.map((r) => ({ id: r.id, score: -r.score, document: JSON.parse(r.src) as unknown })),
  };
});
await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const addr = app.server.address();
process.stdout.write(`SIFT_URL http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);

const stop = () => void app.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.resume();
process.stdin.on('close', stop);
