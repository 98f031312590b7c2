import type { Worker } from 'node:worker_threads';
import { SiftError } from '../../errors.js';
import { startEngineThread } from './engine-thread.js';
import type { StatementRows } from './version-writer.js';

/** The version of an index that rows were built for: its documents table and schema. */
export interface VersionRef {
  index: string;
  tid: number;
  schemaText: string;
}

/** What the main thread asks of the writer thread. */
export type WriteMessage =
  /** One batch of a live bulk load, written in one transaction of its own. */
  | ({ kind: 'batch'; rows: StatementRows[] } & VersionRef)
  /** Opens the one transaction of a load into an empty version and sets its derived structures aside. */
  | ({ kind: 'rebuild-begin' } & VersionRef)
  /** Rows of that load, inserted in its transaction. */
  | { kind: 'rebuild-rows'; rows: StatementRows[] }
  /** Builds the derived structures and commits the load. */
  | { kind: 'rebuild-commit' }
  | { kind: 'close' };

/**
 * The thread's answer: whether each document was new (empty for the steps that write none), null when the index
 * is no longer at that version (or, to rebuild-begin, no longer empty).
 */
export type WriteReply =
  | { ok: true; created: boolean[] | null }
  | { ok: false; error: { message: string; code?: string | undefined } };

/**
 * A thread with a connection of its own that writes the rows of a bulk load, so that reading, parsing and
 * checking the next batch and building its rows (this thread) overlaps with SQLite inserting this one: most of
 * an import's CPU is SQLite, most of the rest is that work. A live load writes each batch in a transaction of
 * its own; a load into an empty version holds one transaction from rebuild-begin to rebuild-commit (or to close,
 * which rolls it back). One request at a time: a call must not be made before the previous one settled, which
 * keeps batches in input order (a later occurrence of an id wins).
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
  write(version: VersionRef, rows: StatementRows[]): Promise<boolean[] | null> {
    return this.ask({ kind: 'batch', ...version, rows });
  }

  /**
   * Takes the write lock for a load into `version`, which must still be current, empty and not being copied by
   * a reindex: false (and nothing held) when it is not.
   */
  async beginRebuild(version: VersionRef): Promise<boolean> {
    return (await this.ask({ kind: 'rebuild-begin', ...version })) !== null;
  }

  /** Inserts rows into the load begun: whether each document was new. */
  async rebuildRows(rows: StatementRows[]): Promise<boolean[]> {
    return (await this.ask({ kind: 'rebuild-rows', rows }))!;
  }

  /** Builds what the load set aside and commits it (durable when it resolves). */
  async commitRebuild(): Promise<void> {
    await this.ask({ kind: 'rebuild-commit' });
  }

  private ask(message: WriteMessage): Promise<boolean[] | null> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) throw new Error('WriterThread: the previous request is still being written');
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(message);
    });
  }

  /** Closes the thread's connection (rolling back a load not committed) and ends the thread. */
  async close(): Promise<void> {
    if (this.failure) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.failure = new SiftError('ENGINE_UNAVAILABLE', "the import's writer thread is closed");
    this.worker.postMessage({ kind: 'close' } satisfies WriteMessage);
    await exited;
  }
}
