import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../test/support/seeded-random.js';

/** The team's full npm corpus (227k packages). Benchmarks only: the product never reads it. */
export const CORPUS =
  process.env.SIFT_CORPUS ??
  fileURLToPath(new URL('../../../shared/data/npm-packages.jsonl.gz', import.meta.url));
export const SCHEMA = fileURLToPath(new URL('../../data/sample/packages.schema.yaml', import.meta.url));
export const WORK_DIR = fileURLToPath(new URL('../.work', import.meta.url));
// A fresh checkout has none; benchmarks write their files straight into it.
mkdirSync(WORK_DIR, { recursive: true });

export interface Pkg {
  name: string;
  version: string;
  downloads: number | null;
  scope: string | null;
  summary: string;
}

export async function readCorpus(): Promise<Pkg[]> {
  if (!existsSync(CORPUS)) throw new Error(`corpus not found at ${CORPUS}; set SIFT_CORPUS`);
  const out: Pkg[] = [];
  const lines = createInterface({
    input: createReadStream(CORPUS).pipe(createGunzip()),
    crlfDelay: Infinity,
  });
  for await (const line of lines) if (line.trim()) out.push(JSON.parse(line));
  return out;
}

/** Deterministic pseudo-random numbers, so every run measures the same queries. */
export const rng = seededRandom;

/**
 * At least `n` distinct real queries: exact names across the popularity range, name parts (what people type
 * when they half-remember a package) and words from summaries.
 */
export function realQueries(pkgs: Pkg[], n = 300): string[] {
  const rand = rng(42);
  const byPop = [...pkgs].sort((a, b) => (b.downloads ?? 0) - (a.downloads ?? 0));
  const out = new Set<string>();
  const pick = <T>(arr: T[]) => arr[Math.floor(rand() * arr.length)]!;
  while (out.size < n * 0.4) out.add(pick(byPop.slice(0, 20_000)).name);
  while (out.size < n * 0.7) {
    const parts = pick(byPop.slice(0, 50_000))
      .name.split(/[@/._-]+/)
      .filter((p) => p.length > 2);
    if (parts.length) out.add(pick(parts));
  }
  while (out.size < n) {
    const words = pick(byPop.slice(0, 50_000))
      .summary.toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 3);
    if (words.length >= 2) {
      const i = Math.floor(rand() * (words.length - 1));
      out.add(rand() < 0.5 ? words[i]! : `${words[i]} ${words[i + 1]}`);
    }
  }
  return [...out];
}

/** `n` search answers as Sift serializes them, of the size and shape a 10-hit answer has (one Buffer each). */
export function answerBuffers(pkgs: Pkg[], n: number): Buffer[] {
  return Array.from({ length: n }, (_, k) =>
    Buffer.from(
      JSON.stringify({
        hits: pkgs.slice(k * 10, k * 10 + 10).map((p) => ({ id: p.name, score: 1.5, document: p })),
        total: k * 7,
        total_relation: 'eq',
        facets: {},
        next_cursor: null,
        took_ms: 1.2,
        partial: false,
      }),
    ),
  );
}
