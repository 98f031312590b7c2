import { Worker } from 'node:worker_threads';
import type { PackedRows } from './packed-rows.js';
import type { WriterReply, WriterRequest } from './writer-protocol.js';

// From source (tsx, tests) the worker is a .ts file and registers the tsx loader first; from dist it is .js.
const fromSource = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(
  fromSource ? './sqlite-writer-worker.ts' : './sqlite-writer-worker.js',
  import.meta.url,
);

interface Pending {
  resolve: (result: number) => void;
  reject: (err: Error) => void;
}

/** Requests without their id: WriterThread numbers them. */
type Request = { op: 'insert'; rows: PackedRows } | { op: 'delete'; before: number } | { op: 'close' };

/**
 * The main thread's side of the analytics writer thread. Requests are answered in order; each resolves when the
 * thread has committed it. A thread that dies fails what it had not answered (the recorder counts those rows as
 * dropped, store_error) and a new one starts on the next request, so a crash costs a flush, never the server.
 * The thread holds the process open only while it has work: an idle writer must not keep a process alive, but an
 * answer still to come must (close() waits for it during a graceful shutdown).
 */
export class WriterThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly path: string) {}

  private spawn(): Worker {
    const workerData = { path: this.path };
    const worker = fromSource
      ? new Worker(
          `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`,
          { eval: true, workerData },
        )
      : new Worker(WORKER_URL, { workerData });
    worker.on('message', (reply: WriterReply) => this.answer(reply));
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', (code) => this.fail(worker, new Error(`the analytics writer thread exited (${code})`)));
    worker.unref();
    return worker;
  }

  private answer(reply: WriterReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new Error(`analytics write failed: ${reply.error}`));
  }

  /** The thread `worker` is gone: what it had not answered fails, and the next request starts another. */
  private fail(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Posts a request; resolves with the thread's result once it is done. */
  request(request: Request): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the analytics writer is closed'));
    this.worker ??= this.spawn();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      const message: WriterRequest = { ...request, id };
      // The rows' typed arrays move to the thread instead of being copied: the caller is done with them.
      const transfer =
        request.op === 'insert'
          ? [
              request.rows.searchNumbers.buffer,
              request.rows.searchRefs.buffer,
              request.rows.eventNumbers.buffer,
              request.rows.eventRefs.buffer,
            ]
          : [];
      worker.postMessage(message, transfer as ArrayBuffer[]);
    });
  }

  /** Waits for what was posted to be written, closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    const worker = this.worker;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      // Answered after every earlier request: the writes before it are committed when it resolves.
      await this.request({ op: 'close' }).catch(() => undefined);
      this.closed = true;
      await exited;
    }
    this.closed = true;
  }
}
