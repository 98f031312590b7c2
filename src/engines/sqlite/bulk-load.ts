import type Database from 'better-sqlite3';
import type { BulkItem, BulkItemResult, BulkLoadHooks, BulkLoadMode } from '../engine.js';
import { docsTable } from './ddl.js';
import { buildSteps, setAside } from './derived.js';
import type { VersionWriter } from './version-writer.js';
import { WriterThread } from './writer-thread.js';

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
  // The batch the thread is writing, if any.
  let writing: Promise<BulkItemResult[]> | null = null;
  const finishWriting = async () => {
    if (!writing) return;
    const done = writing;
    writing = null;
    report(await done);
  };
  try {
    for (let r = first, n = 0; !r.done; r = await rest.next(), n++) {
      const batch = r.value;
      if (batch.length === 0 || n === 0) {
        await finishWriting();
        report(batch.length === 0 ? [] : write.immediate(batch));
        await yieldToEventLoop();
        continue;
      }
      thread ??= new WriterThread(ctx.path);
      // Rows for the version the index is at now; the thread checks inside its transaction that it still is.
      const idx = ctx.handle();
      const request = {
        index: ctx.index,
        tid: idx.tid,
        schemaText: idx.schemaText,
        rows: idx.rows(documentsOf(idx, batch)),
      };
      await finishWriting();
      writing = thread
        .write(request)
        // Switched to another version since (a reindex, a schema change): written here, against the new one.
        .then((created) => (created ? created.map((c) => ({ created: c })) : write.immediate(batch)));
      // Awaited with the next batch or at the end; a failure must not count as unhandled meanwhile.
      writing.catch(() => undefined);
    }
    await finishWriting();
  } finally {
    // A batch the thread was still writing when something else failed is stored once the thread is done with it.
    await writing?.catch(() => undefined);
    await thread?.close();
  }
}

/**
 * Into a version with no documents: set aside what is derived from the rows (derived.ts), insert the rows, then
 * build each derived structure once, all in one transaction. A crash before COMMIT leaves the index as it was.
 * The caller must keep every other use of the connection out until this returns: the transaction stays open
 * across the awaits that read the input.
 */
async function loadRebuild(
  ctx: LoadContext,
  first: IteratorResult<BulkItem[]>,
  rest: AsyncIterator<BulkItem[]>,
  hooks: BulkLoadHooks,
): Promise<void> {
  const { db } = ctx;
  const idx = ctx.handle();
  const aside = setAside(db, idx.tid);

  let written = 0;
  for (let r = first; !r.done; r = await rest.next()) {
    const results = writeBatch(idx, r.value);
    written += results.length;
    hooks.written(results);
  }

  for (const step of buildSteps(db, aside, idx.schema)) step();
  ctx.bump();
  db.exec('COMMIT');
  hooks.durable(written);
}

/** See Engine.bulkLoad. The caller holds the engine's load gate for the duration. */
export async function bulkLoad(
  ctx: LoadContext,
  batches: AsyncIterable<BulkItem[]>,
  hooks: BulkLoadHooks,
): Promise<BulkLoadMode> {
  const it = batches[Symbol.asyncIterator]();
  // Reading the first batch before taking the write lock: an input that fails at once takes no lock.
  const first = await it.next();
  const { db } = ctx;
  db.exec('BEGIN IMMEDIATE');
  let mode: BulkLoadMode = 'batches';
  try {
    const idx = ctx.handle();
    const empty = db.prepare(`SELECT 1 FROM ${docsTable(idx.tid)} LIMIT 1`).get() === undefined;
    if (empty && !ctx.hasJob()) mode = 'rebuild';
    if (mode === 'rebuild') await loadRebuild(ctx, first, it, hooks);
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    await it.return?.();
    throw err;
  }
  if (mode === 'batches') {
    db.exec('COMMIT');
    await loadBatches(ctx, first, it, hooks);
  }
  return mode;
}
