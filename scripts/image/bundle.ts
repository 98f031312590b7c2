/**
 * Part of the production image's build (Dockerfile, `build` stage, after `npm run build`): turns dist/ into the
 * application the runtime stage carries, under OUT (default `bundle/`), in the layout dist/ has so every path the
 * code finds relative to its own file still holds:
 *   dist/bin/sift.js          the CLI and the server with their dependencies, one ES module (the entrypoint)
 *   dist/bin/read-worker.js   the embedded engine's reader thread, where src/engines/sqlite/read-pool.ts looks
 *                             for it (next to the module that starts it, which is now sift.js)
 *   dist/bin/write-worker.js  its import writer thread, likewise (src/engines/sqlite/writer-thread.ts)
 *   dist/page/                the built pages (src/http/page-assets.ts looks for them from the bundle too)
 *   node_modules/             only the packages that cannot be bundled (EXTERNAL), with what they need at run time
 * Usage: tsx scripts/image/bundle.ts [OUT] [APP], APP being where dist/ and node_modules/ are (default: the repository).
 */
import { cpSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { copyPackages, runtimeClosure } from './runtime-modules.js';

const APP = resolve(process.argv[3] ?? join(import.meta.dirname, '../..'));
const OUT = resolve(process.argv[2] ?? join(APP, 'bundle'));

/** Packages left out of the bundle and shipped in node_modules, and why each cannot be bundled. */
const EXTERNAL = {
  // A native addon, loaded through `bindings` from the package's own build/Release/.
  'better-sqlite3': 'native addon',
  // Finds its platform package's compiled extension (vec0.so) with import.meta.resolve.
  'sqlite-vec': 'loadable extension found by import.meta.resolve',
  // pino starts its transports (pino-pretty, for LOG_FORMAT=pretty) in a worker thread that loads files from
  // pino's own directory and resolves the transport by name.
  pino: 'worker-thread transports',
  'pino-pretty': 'loaded by name as a pino transport',
  // Serves swagger-ui's static files (/docs) from its own directory.
  '@fastify/swagger-ui': 'static files next to its code',
} as const;

/** Only what better-sqlite3 runs with: not its C sources (deps/, src/) or build intermediates (~10 MB). */
const KEEP_ONLY = {
  'better-sqlite3': ['package.json', 'LICENSE', 'lib', 'build/Release/better_sqlite3.node'],
};
/** Install-time dependencies of the external packages (better-sqlite3 fetches prebuilt binaries with it). */
const INSTALL_ONLY = ['prebuild-install'];

// Bundled CommonJS dependencies use require() (for Node's built-ins too), __dirname and __filename, which an ES
// module has not got. They name the bundle's own file. The bundled packages that read a file next to their code
// only read their package.json for a version (ioredis, @fastify/swagger) and find Sift's: harmless.
const BANNER = [
  "import { createRequire as __siftCreateRequire } from 'node:module';",
  "import { fileURLToPath as __siftFileURLToPath } from 'node:url';",
  'const require = __siftCreateRequire(import.meta.url);',
  'const __filename = __siftFileURLToPath(import.meta.url);',
  "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
].join('\n');

rmSync(OUT, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: [
    { in: join(APP, 'dist/bin/sift.js'), out: 'sift' },
    { in: join(APP, 'dist/src/engines/sqlite/read-worker.js'), out: 'read-worker' },
    { in: join(APP, 'dist/src/engines/sqlite/write-worker.js'), out: 'write-worker' },
  ],
  outdir: join(OUT, 'dist/bin'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Only a server running from source imports esbuild (to bundle the pages itself); it is never reached here.
  external: [...Object.keys(EXTERNAL), 'esbuild'],
  banner: { js: BANNER },
  // Not minified: stack traces in production logs keep their names.
  metafile: true,
  logLevel: 'warning',
});
cpSync(join(APP, 'dist/page'), join(OUT, 'dist/page'), { recursive: true });

const modules = runtimeClosure(APP, Object.keys(EXTERNAL), INSTALL_ONLY);
copyPackages(APP, modules, OUT, KEEP_ONLY);

const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(
  `bundled into ${OUT}: ${(bytes / 1e6).toFixed(1)} MB of JavaScript, ${modules.length} packages kept external`,
);
