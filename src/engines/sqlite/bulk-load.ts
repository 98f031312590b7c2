import type Database from 'better-sqlite3';
import type { BulkItem, BulkItemResult, BulkLoadHooks, BulkLoadMode } from '../engine.js';
import { buildSteps, holdsNoDocuments, setAside } from './derived.js';
import type { VersionWriter } from './version-writer.js';
import { WriterThread, type VersionRef } from './writer-thread.js';

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface LoadContext {
  db: Database.Database;
  /** The database file (a live load writes through a thread with a connection of its own) and the index. */
  path: string;
  index: string;
  /** The live version of the index, looked up inside the caller's transaction. */
  handle(): VersionWriter;
  /** Whether a reindex or rollback is copying this index: its change log needs every row's triggers. */
  hasJob(): boolean;
  /** Bumps the index generation (caches key on it). */
  bump(): void;
}

/** A batch's documents as the writer stores them: each carrying its id in the id field. */
function documentsOf(idx: VersionWriter, batch: BulkItem[]) {
  const idField = idx.schema.id_field;
  // Checked documents carry their id already; a copy per document is garbage a large load can do without.
  return batch.map(({ id, document }) =>
    document[idField] === id ? document : { ...document, [idField]: id },
  );
}

function writeBatch(idx: VersionWriter, batch: BulkItem[]): BulkItemResult[] {
  return idx.writeMany(documentsOf(idx, batch)).map((created) => ({ created }));
}

/**
 * One batch on the writer thread at a time, in input order: `hand` waits for the batch before (reporting it)
 * and hands this one over; `finish` waits for the last. A batch handed over and not yet awaited must not count
 * as an unhandled failure meanwhile: its failure surfaces at the next hand or finish.
 */
function oneInFlight<T>(report: (done: T) => void) {
  let writing: Promise<T> | null = null;
  const finish = async (): Promise<void> => {
    if (!writing) return;
    const done = writing;
    writing = null;
    report(await done);
  };
  return {
    finish,
    async hand(next: () => Promise<T>): Promise<void> {
      await finish();
      writing = next();
      writing.catch(() => undefined);
    },
    /** Waits for a batch still on the thread without reporting it or its failure (when giving up). */
    settled: async (): Promise<void> => void (await writing?.catch(() => undefined)),
  };
}

/**
 * Each batch its own short transaction (durable when it returns), so other writers wait at most one batch and
 * searches on the reader threads never wait at all. The first batch is written on this thread (an import of one
 * batch starts no thread); from the second on, a writer thread with a connection of its own writes batch k
 * while this thread reads, parses and checks batch k+1 and builds its rows, which on a live index is about a
 * third of the CPU the import needs. One batch on the thread at a time, so batches are written in input order.
 */
async function loadBatches(
  ctx: LoadContext,
  first: IteratorResult<BulkItem[]>,
  rest: AsyncIterator<BulkItem[]>,
  hooks: BulkLoadHooks,
): Promise<void> {
  const write = ctx.db.transaction((batch: BulkItem[]) => {
    const results = writeBatch(ctx.handle(), batch);
    ctx.bump();
    return results;
  });
  let durable = 0;
  const report = (results: BulkItemResult[]) => {
    hooks.written(results);
    if (results.length === 0) return; // every input item was refused before reaching the engine
    durable += results.length;
    hooks.durable(durable);
  };
  let thread: WriterThread | null = null;
  const onThread = oneInFlight(report);
  try {
    for (let r = first, n = 0; !r.done; r = await rest.next(), n++) {
      const batch = r.value;
      if (batch.length === 0 || n === 0) {
        await onThread.finish();
        report(batch.length === 0 ? [] : write.immediate(batch));
        await yieldToEventLoop();
        continue;
      }
      const writer = (thread ??= new WriterThread(ctx.path));
      // Rows for the version the index is at now; the thread checks inside its transaction that it still is.
      const idx = ctx.handle();
      const rows = idx.rows(documentsOf(idx, batch));
      await onThread.hand(() =>
        writer
          .write(versionOf(ctx, idx), rows)
          // Switched to another version since (a reindex, a schema change): written here, against the new one.
          .then((created) => (created ? created.map((c) => ({ created: c })) : write.immediate(batch))),
      );
    }
    await onThread.finish();
  } finally {
    // A batch the thread was still writing when something else failed is stored once the thread is done with it.
    await onThread.settled();
    await thread?.close();
  }
}

const versionOf = (ctx: LoadContext, idx: VersionWriter): VersionRef => ({
  index: ctx.index,
  tid: idx.tid,
  schemaText: idx.schemaText,
});

/** `read` (results already taken from an iterator) first, then the rest of `rest`. */
async function* replay<T>(read: IteratorResult<T>[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  for (const r of read) if (!r.done) yield r.value;
  if (read.some((r) => r.done)) return;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}

/**
 * Into a version with no documents: set aside what is derived from the rows (derived.ts), insert the rows, then
 * build each derived structure once, all in one transaction. A crash before COMMIT leaves the index as it was.
 * Here on the caller's connection, which must be in the load's transaction already; the caller must keep every
 * other use of the connection out until this returns: the transaction stays open across the awaits that read
 * the input.
 */
async function loadRebuild(
  ctx: LoadContext,
  batches: AsyncIterator<BulkItem[]>,
  hooks: BulkLoadHooks,
): Promise<void> {
  const { db } = ctx;
  const idx = ctx.handle();
  const aside = setAside(db, idx.tid);

  let written = 0;
  for (let r = await batches.next(); !r.done; r = await batches.next()) {
    const results = writeBatch(idx, r.value);
    written += results.length;
    hooks.written(results);
  }

  for (const step of buildSteps(db, aside, idx.schema)) step();
  ctx.bump();
  db.exec('COMMIT');
  hooks.durable(written);
}

/**
 * loadRebuild with the transaction and the inserts on a writer thread, while this thread reads, parses and
 * checks the next batch and builds its rows: the two halves of a large load's row phase overlap (the derived
 * structures are then built on the thread). The thread checks, under the write lock, that the version is
 * still current and empty; false (nothing read from `batches`) when it was not, for the caller to load batch by
 * batch instead.
 */
async function loadRebuildOnThread(
  ctx: LoadContext,
  batches: AsyncIterator<BulkItem[]>,
  hooks: BulkLoadHooks,
): Promise<boolean> {
  const thread = new WriterThread(ctx.path);
  try {
    const idx = ctx.handle();
    if (!(await thread.beginRebuild(versionOf(ctx, idx)))) return false;
    let written = 0;
    const onThread = oneInFlight((created: boolean[]) => {
      written += created.length;
      hooks.written(created.map((c) => ({ created: c })));
    });
    for (let r = await batches.next(); !r.done; r = await batches.next()) {
      const rows = idx.rows(documentsOf(idx, r.value));
      await onThread.hand(() => thread.rebuildRows(rows));
    }
    await onThread.finish();
    await thread.commitRebuild();
    hooks.durable(written);
    return true;
  } finally {
    // Rolls back a load that did not commit (its input failed, or a step did).
    await thread.close();
  }
}

/** See Engine.bulkLoad. The caller holds the engine's load gate for the duration. */
export async function bulkLoad(
  ctx: LoadContext,
  batches: AsyncIterable<BulkItem[]>,
  hooks: BulkLoadHooks,
): Promise<BulkLoadMode> {
  const it = batches[Symbol.asyncIterator]();
  // Reading the first batch before taking the write lock: an input that fails at once takes no lock.
  const read = [await it.next()];
  const { db } = ctx;
  db.exec('BEGIN IMMEDIATE');
  let mode: BulkLoadMode = 'batches';
  try {
    const idx = ctx.handle();
    if (holdsNoDocuments(db, idx.tid) && !ctx.hasJob()) mode = 'rebuild';
    if (mode === 'rebuild') {
      // One batch or none is loaded here; a thread would cost more than it saves.
      if (!read[0]!.done) read.push(await it.next());
      if (read.some((r) => r.done)) await loadRebuild(ctx, replay(read, it), hooks);
      else db.exec('COMMIT');
    }
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    await it.return?.();
    throw err;
  }
  if (mode === 'rebuild' && !read.some((r) => r.done)) {
    // The lock is let go here and taken again by the thread, which checks the version is still empty.
    try {
      if (await loadRebuildOnThread(ctx, replay(read, it), hooks)) return mode;
    } catch (err) {
      await it.return?.();
      throw err;
    }
    mode = 'batches';
  }
  if (mode === 'batches') {
    if (db.inTransaction) db.exec('COMMIT');
    const all = replay(read, it);
    await loadBatches(ctx, await all.next(), all, hooks);
  }
  return mode;
}
