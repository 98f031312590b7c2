import type Database from 'better-sqlite3';
import type { BulkItem, BulkItemResult, BulkLoadHooks, BulkLoadMode } from '../engine.js';
import { docsTable } from './ddl.js';
import { buildSteps, setAside } from './derived.js';
import type { VersionWriter } from './version-writer.js';

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface LoadContext {
  db: Database.Database;
  /** The live version of the index, looked up inside the caller's transaction. */
  handle(): VersionWriter;
  /** Whether a reindex or rollback is copying this index: its change log needs every row's triggers. */
  hasJob(): boolean;
  /** Bumps the index generation (caches key on it). */
  bump(): void;
}

function writeBatch(idx: VersionWriter, batch: BulkItem[]): BulkItemResult[] {
  const idField = idx.schema.id_field;
  // Checked documents carry their id already; a copy per document is garbage a large load can do without.
  const docs = batch.map(({ id, document }) =>
    document[idField] === id ? document : { ...document, [idField]: id },
  );
  return idx.writeMany(docs).map((created) => ({ created }));
}

/**
 * Each batch its own short transaction (durable when it returns) with a turn of the event loop between them,
 * so other writers wait at most one batch and searches on the reader threads never wait at all.
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
  for (let r = first; !r.done; r = await rest.next()) {
    if (r.value.length === 0) {
      hooks.written([]); // every input item was refused before reaching the engine
      continue;
    }
    const results = write.immediate(r.value);
    durable += results.length;
    hooks.written(results);
    hooks.durable(durable);
    await yieldToEventLoop();
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
