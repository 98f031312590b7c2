import { ERRORS, SiftError } from '../errors.js';
import { documentChecker, type Document } from '../schema/document.js';
import type { IndexSchema } from '../schema/types.js';
import type { BulkItemResult } from './engine.js';

export interface BatchItemResult {
  index: number;
  id: string | null;
  status: number;
  result?: 'created' | 'updated';
  error?: { code: string; message: string; details?: Record<string, unknown> };
}
export interface BatchResult {
  indexed: number;
  failed: number;
  items: BatchItemResult[];
}

/** A document of a batch that passed its schema check, with its position in the batch. */
export type CheckedItem = { pos: number; id: string; document: Document };

export interface CheckedBatch {
  /** Filled for refused items at check time, for the others once the engine has written them. */
  results: BatchItemResult[];
  good: CheckedItem[];
}

/**
 * Checks a whole batch against its index schema: refusals are reported at their position, the good items go on
 * to the engine. Items that arrived as unparseable lines come in as SiftError values and are reported in place.
 */
export function checkBatch(schema: IndexSchema, items: (unknown | SiftError)[]): CheckedBatch {
  const results: BatchItemResult[] = new Array(items.length);
  return { results, good: checkRange(schema, items, 0, items.length, results) };
}

/** Checks items[from, to): refusals go into `results` at their position, the good ones are returned. */
export function checkRange(
  schema: IndexSchema,
  items: (unknown | SiftError)[],
  from: number,
  to: number,
  results: BatchItemResult[],
): CheckedItem[] {
  const good: CheckedItem[] = [];
  const check = documentChecker(schema);
  for (let pos = from; pos < to; pos++) {
    const item = items[pos];
    try {
      if (item instanceof SiftError) throw item;
      const { id, document } = check(item);
      good.push({ pos, id, document });
    } catch (err) {
      if (!(err instanceof SiftError)) throw err;
      const rawId =
        typeof item === 'object' && item !== null && !(item instanceof SiftError)
          ? (item as Record<string, unknown>)[schema.id_field]
          : undefined;
      results[pos] = {
        index: pos,
        id: typeof rawId === 'string' ? rawId : null,
        status: err.status,
        error: err.toBody().error,
      };
    }
  }
  return good;
}

/** Records the engine's per-item outcome of the written items at their positions in the batch. */
export function fillResults(results: BatchItemResult[], written: CheckedItem[], outcome: BulkItemResult[]) {
  written.forEach((p, i) => {
    const item = outcome[i]!;
    results[p.pos] = item.error
      ? { index: p.pos, id: p.id, status: ERRORS[item.error.code].status, error: item.error }
      : {
          index: p.pos,
          id: p.id,
          status: item.created ? 201 : 200,
          result: item.created ? 'created' : 'updated',
        };
  });
}

export function summarize(results: BatchItemResult[]): BatchResult {
  let failed = 0;
  for (const r of results) if (r.error) failed++;
  return { indexed: results.length - failed, failed, items: results };
}
