import type { PackedRows } from './packed-rows.js';

/** What the main thread asks of the analytics writer thread (sqlite-writer-worker.ts); answered in order. */
export type WriterRequest =
  | { id: number; op: 'insert'; rows: PackedRows }
  | { id: number; op: 'delete'; before: number }
  | { id: number; op: 'close' };

/** The writer's answer to request `id`: the rows deleted for 'delete', 0 otherwise. */
export type WriterReply = { id: number; ok: true; result: number } | { id: number; ok: false; error: string };
