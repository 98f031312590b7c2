import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The search page's files (src/page/): the HTML, the stylesheet and one script bundled from the page's TypeScript.
 * `npm run build` writes them to dist/page/ (scripts/build-page.ts); a server running from dist reads them
 * there, and one running from source (tests, `npm run dev`) bundles them from src/page/ on first use, so the
 * page it serves is always the code beside it, never a stale build.
 */
export interface PageAsset {
  readonly body: Buffer;
  readonly type: string;
  /** Strong validator: the asset changes only with a new build. */
  readonly etag: string;
}

/** The files of the page, by the name it is served under (`index.html` at `/`, the others under `/assets/`). */
export const PAGE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'search-page.js': 'text/javascript; charset=utf-8',
  'search-page.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
} as const;
export type PageFile = keyof typeof PAGE_FILES;

/** Where the HTML names the default index; replaced when the page is served. */
export const DEFAULT_INDEX_PLACEHOLDER = '%DEFAULT_INDEX%';

const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');
const SOURCE_DIR = fileURLToPath(new URL('../page/', import.meta.url));
// dist/src/http/page-assets.js -> dist/page/
const BUILT_DIR = fileURLToPath(new URL('../../page/', import.meta.url));

/**
 * Bundles the page from src/page/ with esbuild (a development dependency: only the build and a server running
 * from source call this). One classic script, no module loader, nothing fetched from elsewhere.
 */
export async function bundlePage(sourceDir = SOURCE_DIR): Promise<Record<PageFile, Buffer>> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [`${sourceDir}main.ts`],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0];
  if (!script) throw new Error('bundling the search page produced no script');
  return {
    'index.html': readFileSync(`${sourceDir}index.html`),
    'search-page.js': Buffer.from(script.contents),
    'search-page.css': readFileSync(`${sourceDir}page.css`),
    'favicon.svg': readFileSync(`${sourceDir}favicon.svg`),
  };
}

function asAssets(files: Record<PageFile, Buffer>): ReadonlyMap<PageFile, PageAsset> {
  const assets = new Map<PageFile, PageAsset>();
  for (const [name, type] of Object.entries(PAGE_FILES) as [PageFile, string][]) {
    const body = files[name];
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  return assets;
}

function readBuilt(): Record<PageFile, Buffer> {
  const missing = Object.keys(PAGE_FILES).filter((f) => !existsSync(`${BUILT_DIR}${f}`));
  if (missing.length > 0) {
    throw new Error(`the search page is not built (${missing.join(', ')} missing); run npm run build`);
  }
  return Object.fromEntries(
    Object.keys(PAGE_FILES).map((f) => [f, readFileSync(`${BUILT_DIR}${f}`)]),
  ) as Record<PageFile, Buffer>;
}

let loading: Promise<ReadonlyMap<PageFile, PageAsset>> | undefined;

/** The page's files, read or bundled once per process, on first use (a server that never serves it pays nothing). */
export function pageAssets(): Promise<ReadonlyMap<PageFile, PageAsset>> {
  loading ??= (RUNNING_FROM_SOURCE ? bundlePage() : Promise.resolve(readBuilt())).then(asAssets);
  // A failed attempt is not remembered: the next request tries again (and reports the same cause).
  loading.catch(() => (loading = undefined));
  return loading;
}
