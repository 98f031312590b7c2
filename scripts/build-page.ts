/**
 * Part of `npm run build`: bundles the search page (src/page/) into dist/page/, where a server running from
 * dist/ reads it. A server running from source bundles the same files itself, with the same function.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundlePage } from '../src/http/page-assets.js';

const out = process.argv[2] ?? 'dist/page';
mkdirSync(out, { recursive: true });
for (const [name, body] of Object.entries(await bundlePage())) writeFileSync(join(out, name), body);
console.log(`search page written to ${out}`);
