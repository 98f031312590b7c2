import { Worker } from 'node:worker_threads';
import { SiftError } from '../../errors.js';
import type { SearchRequest, SuggestRequest } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import type { ExportPageRequest } from '../engine.js';
import { readError, type ReadFailure } from './read-errors.js';

export type ReadTask =
  | { id: number; op: 'search'; tid: number; schema: IndexSchema; request: SearchRequest }
  | { id: number; op: 'suggest'; tid: number; schema: IndexSchema; request: SuggestRequest }
  | { id: number; op: 'export'; tid: number; schema: IndexSchema; request: ExportPageRequest };
type TaskInput = ReadTask extends infer T ? (T extends ReadTask ? Omit<T, 'id'> : never) : never;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}
interface Reader {
  worker: Worker;
  busy: number;
}

// From source (tsx, tests) the worker is a .ts file and registers the tsx loader first; from dist it is .js.
const fromSource = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(fromSource ? './read-worker.ts' : './read-worker.js', import.meta.url);

/**
 * A small pool of reader threads over one database file. Tasks go to the least busy reader; a reader that dies
 * fails its tasks with ENGINE_UNAVAILABLE and is replaced, so one bad query cannot take searching down.
 */
export class ReadPool {
  private readers: Reader[] = [];
  private readonly pending = new Map<number, Pending & { reader: Reader }>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly size: number,
  ) {
    for (let i = 0; i < size; i++) this.readers.push(this.spawn());
  }

  private spawn(): Reader {
    const worker = fromSource
      ? new Worker(
          `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`,
          {
            eval: true,
            workerData: { path: this.path },
          },
        )
      : new Worker(WORKER_URL, { workerData: { path: this.path } });
    const reader: Reader = { worker, busy: 0 };
    worker.on('message', (msg: { id: number; ok: boolean; result?: unknown; error?: ReadFailure }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      reader.busy--;
      if (msg.ok) p.resolve(msg.result);
      else p.reject(readError(msg.error ?? { message: 'the reader reported no error' }));
    });
    worker.on('error', (err) => this.fail(reader, err));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(reader, new Error(`reader thread exited with code ${code}`));
    });
    // Idle readers must not keep the process alive.
    worker.unref();
    return reader;
  }

  private fail(reader: Reader, err: Error): void {
    for (const [id, p] of this.pending) {
      if (p.reader !== reader) continue;
      this.pending.delete(id);
      p.reject(
        new SiftError('ENGINE_UNAVAILABLE', `a search thread failed: ${err.message}`, undefined, {
          cause: err,
        }),
      );
    }
    if (this.closed) return;
    const i = this.readers.indexOf(reader);
    if (i >= 0) this.readers[i] = this.spawn();
  }

  run<T>(task: TaskInput): Promise<T> {
    if (this.closed)
      return Promise.reject(new SiftError('ENGINE_UNAVAILABLE', 'the embedded engine is closed'));
    const reader = this.readers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    reader.busy++;
    if (reader.busy === 1) reader.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, reader });
      reader.worker.postMessage({ ...task, id });
    }).finally(() => {
      if (reader.busy === 0) reader.worker.unref();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.readers.map((r) => r.worker.terminate()));
    for (const p of this.pending.values())
      p.reject(new SiftError('ENGINE_UNAVAILABLE', 'the embedded engine closed'));
    this.pending.clear();
    this.readers = [];
  }
}
