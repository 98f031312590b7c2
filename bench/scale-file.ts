/**
 * Writes the scale benchmark's generated corpus (bench/scale.ts: the same seeded documents, in the same order)
 * to bench/.work/scale-<docs>.ndjson.gz, streamed batch by batch, so `sift import` can be measured on it: import
 * rate and peak RSS on a file of 1M documents (memory must stay flat however large the input).
 *
 *   npx tsx bench/scale-file.ts [docs]     # default BENCH_SCALE_DOCS or 1,000,000
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { readCorpus, WORK_DIR } from './lib/corpus.js';
import { generate } from './scale.js';

const docs = Number(process.argv[2] ?? process.env.BENCH_SCALE_DOCS ?? 1_000_000);
const file = join(WORK_DIR, `scale-${docs}.ndjson.gz`);
const gzip = createGzip();
const done = once(gzip.pipe(createWriteStream(file)), 'finish');
for (const batch of generate(await readCorpus(), docs)) {
  if (!gzip.write(batch.map((p) => JSON.stringify(p)).join('\n') + '\n')) await once(gzip, 'drain');
}
gzip.end();
await done;
console.log(file);
