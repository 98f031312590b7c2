import { isSiftError, SiftError } from '../errors.js';
import type { Engine } from './engine.js';
import { checkDocument, checkId, type Document } from '../schema/document.js';
import { applyMergePatch, checkPatch } from '../schema/merge-patch.js';
import type { IndexSchema } from '../schema/types.js';
import { embeddedFields, type Embedders } from '../embedders/embedders.js';
import { patchWithEmbeddings } from './embedded-patch.js';

export interface PatchItemResult {
  /** Position of the item in the batch (0-based). */
  index: number;
  id: string | null;
  /** 200 patched, 4xx refused. */
  status: number;
  result?: 'updated';
  error?: { code: string; message: string; details?: Record<string, unknown> };
}
export interface PatchBatchResult {
  updated: number;
  failed: number;
  items: PatchItemResult[];
}

const missing = (index: string, id: string) =>
  new SiftError('DOCUMENT_NOT_FOUND', `document "${id}" does not exist in index "${index}"`, { index, id });

/**
 * Applies a JSON merge patch (RFC 7396) to one stored document. The merged document is checked against the
 * schema inside the engine's read-modify-write, so a patch that breaks the schema writes nothing (INVALID_DOCUMENT
 * naming the field) and a concurrent write of another field is never lost. Returns the stored document.
 */
export async function patchDocument(
  engine: Engine,
  schema: IndexSchema,
  index: string,
  id: string,
  rawPatch: unknown,
  embedders?: Embedders,
): Promise<Document> {
  checkId(id);
  const patch = checkPatch(rawPatch);
  if (embedders && embeddedFields(schema).length > 0) {
    const stored = await patchWithEmbeddings(engine, embedders, schema, index, id, patch);
    if (!stored) throw missing(index, id);
    return stored;
  }
  const stored = await engine.patch(
    index,
    id,
    (current) => checkDocument(schema, applyMergePatch(current, patch), id).document,
  );
  if (!stored) throw missing(index, id);
  return stored;
}

/** One item of a batch: `{"id": ..., "patch": {...}}`. */
function batchItem(raw: unknown): { id: string; patch: Record<string, unknown> } {
  if (raw instanceof SiftError) throw raw;
  const item = raw as { id?: unknown; patch?: unknown } | null;
  if (
    typeof item !== 'object' ||
    item === null ||
    Array.isArray(item) ||
    !('patch' in item) ||
    !('id' in item)
  )
    throw new SiftError('INVALID_PATCH', 'a batch item must be an object {"id": "...", "patch": {...}}');
  const extra = Object.keys(item).filter((k) => k !== 'id' && k !== 'patch');
  if (extra.length)
    throw new SiftError('INVALID_PATCH', `a batch item has only "id" and "patch", not "${extra[0]}"`);
  return { id: checkId(item.id), patch: checkPatch(item.patch) };
}

/** Patches of different documents a batch has in flight at once (a cluster's write waits for a refresh). */
const BATCH_CONCURRENCY = 16;

/**
 * Patches many documents, each as `patchDocument` does. Patches of one id apply in batch order; different ids
 * go on side by side, a few at a time. A refused item is reported at its position and the others go on.
 */
export async function patchDocuments(
  engine: Engine,
  schema: IndexSchema,
  index: string,
  items: unknown[],
  embedders?: Embedders,
): Promise<PatchBatchResult> {
  const results: PatchItemResult[] = new Array(items.length);
  // Positions grouped by id, in order; an item without a usable id is a group of its own (it is refused).
  const groups = new Map<unknown, number[]>();
  items.forEach((raw, pos) => {
    const id = (raw as { id?: unknown } | null)?.id;
    const key = typeof id === 'string' ? id : Symbol(pos);
    const group = groups.get(key);
    if (group) group.push(pos);
    else groups.set(key, [pos]);
  });
  const queue = [...groups.values()];
  const one = async (pos: number) => {
    const raw = items[pos];
    const rawId = (raw as { id?: unknown } | null)?.id;
    try {
      const { id, patch } = batchItem(raw);
      await patchDocument(engine, schema, index, id, patch, embedders);
      results[pos] = { index: pos, id, status: 200, result: 'updated' };
    } catch (err) {
      // Only a refusal of this item (its embedder failing included) is reported in place; the engine failing
      // fails the request.
      if (
        !isSiftError(err) ||
        (err.status >= 500 && !err.code.startsWith('EMBEDDER_')) ||
        err.code === 'INDEX_NOT_FOUND'
      )
        throw err;
      results[pos] = {
        index: pos,
        id: typeof rawId === 'string' ? rawId : null,
        status: err.status,
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      };
    }
  };
  const worker = async () => {
    for (let group = queue.shift(); group; group = queue.shift()) for (const pos of group) await one(pos);
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, queue.length) }, worker));
  const updated = results.filter((r) => r.status === 200).length;
  return { updated, failed: items.length - updated, items: results };
}
