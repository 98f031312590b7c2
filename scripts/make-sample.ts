/**
 * Rebuilds the bundled sample (data/sample/packages.ndjson.gz) from the team's full npm corpus: the most
 * downloaded packages, so the sample answers realistic queries while staying small enough to ship.
 * Usage: tsx scripts/make-sample.ts <npm-packages.jsonl.gz> [count]
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

const [source, countArg] = process.argv.slice(2);
if (!source) {
  console.error('usage: tsx scripts/make-sample.ts <npm-packages.jsonl.gz> [count]');
  process.exit(2);
}
const count = Number(countArg ?? 25_000);
const rows: { name: string; downloads: number; line: string }[] = [];
for await (const line of createInterface({ input: createReadStream(source).pipe(createGunzip()) })) {
  if (!line.trim()) continue;
  const doc = JSON.parse(line);
  rows.push({
    name: doc.name,
    downloads: doc.downloads ?? 0,
    line: JSON.stringify({ ...doc, scope: doc.scope ?? undefined }),
  });
}
rows.sort((a, b) => b.downloads - a.downloads || (a.name < b.name ? -1 : 1));
const picked = rows.slice(0, count).sort((a, b) => (a.name < b.name ? -1 : 1));
await pipeline(
  Readable.from(picked.map((r) => r.line + '\n')),
  createGzip({ level: 9 }),
  createWriteStream('data/sample/packages.ndjson.gz'),
);
console.log(`wrote ${picked.length} of ${rows.length} packages to data/sample/packages.ndjson.gz`);
