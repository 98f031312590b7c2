import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

// From source (tsx, tests) a thread's module is a .ts file and registers the tsx loader first; from dist (and in
// the image's bundle, where the thread files sit beside the bundle) it is .js.
const fromSource = import.meta.url.endsWith('.ts');
/**
 * From source, a directory where these modules were transpiled already (the test suite's build does it once per
 * run): a thread then loads JavaScript instead of transpiling every module again through tsx, about a second of
 * CPU per thread, which on a busy machine delayed a fresh server's first searches past their deadline.
 */
const builtThreads = fromSource ? process.env.SIFT_ENGINE_THREADS_DIR : undefined;

/**
 * Starts one of the embedded engine's threads: `name` is the module beside this one (`read-worker`,
 * `write-worker`), handed `workerData`.
 */
export function startEngineThread(name: string, workerData: unknown): Worker {
  if (builtThreads) return new Worker(pathToFileURL(join(builtThreads, `${name}.js`)), { workerData });
  const url = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  return fromSource
    ? new Worker(
        `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`,
        { eval: true, workerData },
      )
    : new Worker(url, { workerData });
}
