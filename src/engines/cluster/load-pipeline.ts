import type { BulkItem, BulkItemResult } from '../engine.js';
import { IdGate } from './id-gate.js';

export interface PipelineOptions {
  /** Documents per write (one bulk request). */
  pieceDocs: number;
  /** Writes in flight at once. */
  slots: number;
}

/**
 * Writes a stream of batches as one continuous stream of pieces, `slots` of them in flight at once, across batch
 * boundaries. Written batch after batch, each boundary drained the cluster: the last requests of a batch ran
 * alone, then the next batch's first request waited for its documents to be translated. Here the next piece
 * goes out as soon as a slot is free, and the next batch is pulled (validated by the caller) while the last
 * pieces of this one are in the cluster.
 *
 * Each piece is prepared (translated) before it waits for a slot, while the slots' requests are in the cluster.
 *
 * Order is kept where it matters: a piece waits for any piece in flight that writes one of its ids (IdGate), so
 * the last occurrence of an id still wins; `written` gets each batch's results in batch order, once every piece
 * of it and of the batches before it is acknowledged. The first failed write stops the load and is thrown once
 * the writes in flight have settled.
 */
export async function writeInPieces(
  batches: AsyncIterable<BulkItem[]>,
  prepare: (items: BulkItem[]) => Promise<() => Promise<BulkItemResult[]>>,
  opts: PipelineOptions,
  written: (results: BulkItemResult[]) => void,
): Promise<void> {
  const gate = new IdGate();
  const pieceDocs = Math.max(1, opts.pieceDocs);
  const slots = Math.max(1, opts.slots);
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  // A function, not an inline check: the compiler would keep `failure` narrowed across the awaits between checks.
  const failed = () => failure !== undefined;
  let reported: Promise<void> = Promise.resolve();
  try {
    load: for await (const items of batches) {
      const results: BulkItemResult[] = new Array(items.length);
      const writes: Promise<void>[] = [];
      for (let at = 0; at < items.length; at += pieceDocs) {
        if (failed()) break load;
        const piece = items.slice(at, at + pieceDocs);
        // Translated while the slots are still busy, so a freed slot sends at once instead of idling the cluster
        // for the piece's translation (several milliseconds for a thousand documents).
        const send = await prepare(piece);
        while (inFlight.size >= slots) await Promise.race(inFlight);
        if (failed()) break load;
        const release = await gate.enter(new Set(piece.map((item) => item.id)));
        const from = at;
        const done = send()
          .then((outcome) => {
            for (let i = 0; i < outcome.length; i++) results[from + i] = outcome[i]!;
          })
          .finally(release);
        const settled: Promise<void> = done
          .catch((error: unknown) => {
            failure ??= { error };
          })
          .finally(() => inFlight.delete(settled));
        inFlight.add(settled);
        writes.push(done);
      }
      const batchDone = Promise.all(writes);
      // Read by the report chain only once the batches before it are reported: a failure before then is not
      // unhandled, it is thrown at the end.
      batchDone.catch(() => undefined);
      reported = reported.then(() => batchDone).then(() => written(results));
      reported.catch(() => undefined);
    }
  } catch (error) {
    // The batches' iterator (the caller's validation) or a piece's preparation failed.
    failure ??= { error };
  }
  // Thrown only once every write in flight has settled and every batch acknowledged before the failure is
  // reported, so the caller knows what is stored when it hears of the failure.
  await Promise.all(inFlight);
  if (failure) {
    await reported.catch(() => undefined);
    throw failure.error;
  }
  await reported;
}
