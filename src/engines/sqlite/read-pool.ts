import type Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { SiftError } from '../../errors.js';
import { startEngineThread } from './engine-thread.js';
import { readError, type ReadFailure } from './read-errors.js';
import { executeRead, openReader, type ReadTask } from './read-task.js';

/** What runs the embedded engine's reads: reader threads (a server), or this thread (a one-shot CLI command). */
export interface Reads {
  run<T>(task: ReadTask): Promise<T>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}
interface Reader {
  worker: Worker;
  busy: number;
}

/**
 * A small pool of reader threads over one database file. Tasks go to the least busy reader; a reader that dies
 * fails its tasks with ENGINE_UNAVAILABLE and is replaced, so one bad query cannot take searching down.
 */
export class ReadPool implements Reads {
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
    const worker = startEngineThread('read-worker', { path: this.path });
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

  run<T>(task: ReadTask): Promise<T> {
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

/**
 * Reads on this thread, over a read-only connection of its own: for a process that makes a few reads and exits
 * (a CLI command), where starting reader threads costs more than the reads. Failures reach the engine exactly as
 * a reader thread reports them.
 */
export class InlineReads implements Reads {
  private db: Database.Database | null = null;

  constructor(private readonly path: string) {}

  async run<T>(task: ReadTask): Promise<T> {
    this.db ??= openReader(this.path);
    try {
      return executeRead(this.db, task) as T;
    } catch (err) {
      const e = err as Error & { code?: string };
      throw readError({ message: e.message, code: e.code });
    }
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }
}
