import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The processes the tests spawn (the CLI, servers, fixtures) run from JavaScript that the run's global setup
 * transpiles once, not through tsx: tsx's loader transpiles and resolves every module again in each process (and in
 * each of its worker threads), about 0.7 s and 1.2 s of CPU per start, and the suite starts hundreds of processes
 * on a 2-core machine. The JavaScript lands in dist/, the layout `npm run build` gives, so a spawned process finds
 * package.json, the pages and the sample data where a production install has them. SIFT_TEST_FROM_SOURCE=1 runs
 * them through tsx instead.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD_DIR = join(ROOT, 'dist');
/** Written last by a complete build: without it (or with a stale run's) the spawns fall back to tsx. */
const STAMP = join(BUILD_DIR, '.test-build.json');
/** What is transpiled: the product and the test fixtures and helpers that run in child processes. */
const SOURCE_DIRS = ['src', 'bin', 'test/support'];

const fromSource = () => process.env.SIFT_TEST_FROM_SOURCE === '1';

/** `node` arguments that run `entry`, a .ts file (absolute, or relative to the repository root), and `args`. */
export function nodeArgs(entry: string, ...args: string[]): string[] {
  const rel = relative(ROOT, resolve(ROOT, entry));
  if (!fromSource() && existsSync(STAMP)) return [join(BUILD_DIR, rel.replace(/\.ts$/, '.js')), ...args];
  return ['--import', 'tsx', join(ROOT, rel), ...args];
}

function sources(): string[] {
  const out: string[] = [];
  for (const dir of SOURCE_DIRS) {
    for (const name of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts'))
        out.push(join(ROOT, dir, name));
    }
  }
  return out;
}

/**
 * Transpiles the sources into dist/ (type checking is `tsc --noEmit`'s job, before the run) and bundles the pages
 * as `npm run build` does. Takes a second or two. Returns what it did, for the run's log.
 */
export async function buildForSpawns(): Promise<string> {
  rmSync(STAMP, { force: true });
  if (fromSource()) return 'spawned processes run from source (SIFT_TEST_FROM_SOURCE=1)';
  const started = performance.now();
  const { build } = await import('esbuild');
  const files = sources();
  await build({
    entryPoints: files,
    outdir: BUILD_DIR,
    outbase: ROOT,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Stack traces in a failing child's output point at the TypeScript lines.
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  const { bundlePages } = await import('../../src/http/page-assets.js');
  const pages = join(BUILD_DIR, 'page');
  mkdirSync(pages, { recursive: true });
  for (const [name, body] of Object.entries(await bundlePages())) writeFileSync(join(pages, name), body);
  writeFileSync(STAMP, JSON.stringify({ files: files.length, at: new Date().toISOString() }));
  // The embedded engine's threads in the test processes (which run from source) load this build too.
  process.env.SIFT_ENGINE_THREADS_DIR = join(BUILD_DIR, 'src', 'engines', 'sqlite');
  return `${files.length} files transpiled for spawned processes in ${Math.round(performance.now() - started)} ms`;
}
