/**
 * Part of `npm run build`: bundles the pages (src/page/: the search page and the analytics page) into dist/page/,
 * where a server running from dist/ reads them. A server running from source bundles the same files itself, with
 * the same function.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundlePages } from '../src/http/page-assets.js';

const out = process.argv[2] ?? 'dist/page';
mkdirSync(out, { recursive: true });
for (const [name, body] of Object.entries(await bundlePages())) writeFileSync(join(out, name), body);
console.log(`pages written to ${out}`);
