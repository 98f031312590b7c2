import { Worker } from 'node:worker_threads';

// From source (tsx, tests) a thread's module is a .ts file and registers the tsx loader first; from dist (and in
// the image's bundle, where the thread files sit beside the bundle) it is .js.
const fromSource = import.meta.url.endsWith('.ts');

/**
 * Starts one of the embedded engine's threads: `name` is the module beside this one (`read-worker`,
 * `write-worker`), handed `workerData`.
 */
export function startEngineThread(name: string, workerData: unknown): Worker {
  const url = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  return fromSource
    ? new Worker(
        `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`,
        { eval: true, workerData },
      )
    : new Worker(url, { workerData });
}
