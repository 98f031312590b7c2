import type { Worker } from 'node:worker_threads';
import { SiftError } from '../../errors.js';
import { startEngineThread } from './engine-thread.js';
import type { StatementRows } from './version-writer.js';

/** One batch of a live bulk load, as it crosses to the writer thread: rows built for one version of an index. */
export interface WriteRequest {
  index: string;
  /** The version (documents table) and schema the rows were built for. */
  tid: number;
  schemaText: string;
  rows: StatementRows[];
}

/** The thread's answer: whether each document was new, null when the index is no longer at that version. */
export type WriteReply =
  | { ok: true; created: boolean[] | null }
  | { ok: false; error: { message: string; code?: string | undefined } };

/**
 * A thread with a connection of its own that writes the batches of a live bulk load, so that reading, parsing
 * and checking the next batch (this thread) overlaps with SQLite writing this one: most of a live import's CPU
 * is SQLite, most of the rest is that work. One batch at a time: `write` must not be called again before its
 * promise settles, which keeps batches in input order (a later occurrence of an id wins).
 */
export class WriterThread {
  private readonly worker: Worker;
  private waiting: { resolve: (r: boolean[] | null) => void; reject: (e: unknown) => void } | null = null;
  private failure: Error | null = null;

  constructor(path: string) {
    this.worker = startEngineThread('write-worker', { path });
    this.worker.on('message', (reply: WriteReply) => {
      const w = this.waiting;
      this.waiting = null;
      if (!w) return;
      if (reply.ok) w.resolve(reply.created);
      // As SQLite's own error would have reached the caller had this thread written the batch.
      else w.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    });
    const fail = (err: Error) => {
      this.failure ??= new SiftError(
        'ENGINE_UNAVAILABLE',
        `the import's writer thread failed: ${err.message}`,
        undefined,
        {
          cause: err,
        },
      );
      this.waiting?.reject(this.failure);
      this.waiting = null;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`it exited with code ${code}`)));
  }

  /** Writes one batch in one transaction of the thread's (durable when it resolves). */
  write(request: WriteRequest): Promise<boolean[] | null> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) throw new Error('WriterThread.write: the previous batch is still being written');
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(request);
    });
  }

  /** Closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    if (this.failure) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.failure = new SiftError('ENGINE_UNAVAILABLE', "the import's writer thread is closed");
    this.worker.postMessage('close');
    await exited;
  }
}
