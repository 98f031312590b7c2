import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The pages' files (src/page/): per page an HTML file, a script bundled from the page's TypeScript and a
 * stylesheet bundled from its CSS (which may import the shared one), plus the shared icon. `npm run build` writes
 * them to dist/page/ (scripts/build-page.ts); a server running from dist reads them there, and one running from
 * source (tests, `npm run dev`) bundles them from src/page/ on first use, so the pages it serves are always the
 * code beside it, never a stale build.
 */
export interface PageAsset {
  readonly body: Buffer;
  readonly type: string;
  /** Strong validator: the asset changes only with a new build. */
  readonly etag: string;
}

/**
 * The pages, each with its route, its HTML and its two entry points (relative to src/page/). Its script and
 * stylesheet are served as `/assets/<name>.js` and `/assets/<name>.css`; its HTML under `<name>.html`.
 */
export const PAGES = [
  { name: 'search-page', route: '/', html: 'index.html', script: 'main.ts', style: 'page.css' },
  {
    name: 'analytics-page',
    route: '/analytics',
    html: 'analytics/index.html',
    script: 'analytics/main.ts',
    style: 'analytics/analytics.css',
  },
] as const;
export type PageName = (typeof PAGES)[number]['name'];

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** Every file of the pages by the name it is built and served under, with its media type. */
export const PAGE_FILES: Readonly<Record<string, string>> = Object.fromEntries([
  ...PAGES.flatMap((p) => [
    [`${p.name}.html`, HTML],
    [`${p.name}.js`, JS],
    [`${p.name}.css`, CSS],
  ]),
  ['favicon.svg', 'image/svg+xml'],
]);
export type PageFile = string;

/** Where the HTML names the default index; replaced when the page is served. */
export const DEFAULT_INDEX_PLACEHOLDER = '%DEFAULT_INDEX%';

const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');
const SOURCE_DIR = fileURLToPath(new URL('../page/', import.meta.url));
// dist/src/http/page-assets.js -> dist/page/; in the production image's bundle, dist/bin/sift.js -> dist/page/.
const BUILT_DIRS = ['../../page/', '../page/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));

/**
 * Bundles every page from src/page/ with esbuild in one build (a development dependency: only the build and a
 * server running from source call this): per page one classic script, no module loader, and one stylesheet,
 * nothing fetched from elsewhere. Code and styles the pages share are bundled into each.
 */
export async function bundlePages(sourceDir = SOURCE_DIR): Promise<Record<PageFile, Buffer>> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: PAGES.flatMap((p) => [
      { in: `${sourceDir}${p.script}`, out: p.name },
      { in: `${sourceDir}${p.style}`, out: p.name },
    ]),
    outdir: '/',
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const files: Record<PageFile, Buffer> = { 'favicon.svg': readFileSync(`${sourceDir}favicon.svg`) };
  for (const output of result.outputFiles) {
    files[output.path.slice(output.path.lastIndexOf('/') + 1)] = Buffer.from(output.contents);
  }
  for (const p of PAGES) files[`${p.name}.html`] = readFileSync(`${sourceDir}${p.html}`);
  const missing = Object.keys(PAGE_FILES).filter((f) => !files[f]);
  if (missing.length > 0) throw new Error(`bundling the pages produced no ${missing.join(', ')}`);
  return files;
}

function asAssets(files: Record<PageFile, Buffer>): ReadonlyMap<PageFile, PageAsset> {
  const assets = new Map<PageFile, PageAsset>();
  for (const [name, type] of Object.entries(PAGE_FILES)) {
    const body = files[name]!;
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  return assets;
}

function readBuilt(): Record<PageFile, Buffer> {
  const missingIn = (dir: string) => Object.keys(PAGE_FILES).filter((f) => !existsSync(`${dir}${f}`));
  const dir = BUILT_DIRS.find((d) => missingIn(d).length === 0);
  if (!dir) {
    throw new Error(
      `the pages are not built (${missingIn(BUILT_DIRS[0]!).join(', ')} missing); run npm run build`,
    );
  }
  return Object.fromEntries(Object.keys(PAGE_FILES).map((f) => [f, readFileSync(`${dir}${f}`)]));
}

let loading: Promise<ReadonlyMap<PageFile, PageAsset>> | undefined;

/** The pages' files, read or bundled once per process, on first use (a server that never serves them pays nothing). */
export function pageAssets(): Promise<ReadonlyMap<PageFile, PageAsset>> {
  loading ??= (RUNNING_FROM_SOURCE ? bundlePages() : Promise.resolve(readBuilt())).then(asAssets);
  // A failed attempt is not remembered: the next request tries again (and reports the same cause).
  loading.catch(() => (loading = undefined));
  return loading;
}
