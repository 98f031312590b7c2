import { SiftError } from '../errors.js';
import { embeddedFields, type Embedders } from '../embedders/embedders.js';
import { checkDocument, type Document } from '../schema/document.js';
import { embeddingText } from '../schema/embedder.js';
import { applyMergePatch } from '../schema/merge-patch.js';
import type { IndexSchema, VectorFieldSpec } from '../schema/types.js';
import type { Engine } from './engine.js';

/** How often a patch embeds again when a concurrent write changed the text it embedded. */
const ATTEMPTS = 3;

/** A concurrent write changed the source text between the embedding and the write. */
class TextChanged extends Error {}

/**
 * The merged document of a patch and, per vector field with an embedder, the text whose embedding it needs: the
 * patch changed that field's source text (its old vector no longer describes it), or the document has no vector
 * yet. A patch that sets the vector itself keeps it.
 */
function merge(
  schema: IndexSchema,
  current: Document,
  patch: Record<string, unknown>,
  id: string,
): { next: Document; needs: Map<string, string> } {
  const next = checkDocument(schema, applyMergePatch(current, patch), id).document;
  const needs = new Map<string, string>();
  for (const [field, spec] of embeddedFields(schema)) {
    if (patch[field] !== undefined && patch[field] !== null) continue;
    const text = embeddingText(spec.embedder!, next);
    const changed = text !== embeddingText(spec.embedder!, current);
    if (changed || patch[field] === null) delete next[field];
    if (next[field] === undefined && text) needs.set(field, text);
  }
  return { next, needs };
}

/**
 * A merge patch on an index with embedders: the changed source texts are embedded before the write (outside the
 * engine's read-modify-write, which must not wait on the network), and the write stores the new vectors only if
 * the texts are still those embedded; a concurrent write that changed them means embedding again. A document
 * whose vector cannot be had is not written (EMBEDDER_UNAVAILABLE or EMBEDDER_FAILED).
 */
export async function patchWithEmbeddings(
  engine: Engine,
  embedders: Embedders,
  schema: IndexSchema,
  index: string,
  id: string,
  patch: Record<string, unknown>,
): Promise<Document | null> {
  for (let attempt = 1; ; attempt++) {
    const current = await engine.get(index, id);
    if (!current) return null;
    const { needs } = merge(schema, current, patch, id);
    const vectors = new Map<string, number[]>();
    for (const [field, text] of needs) {
      const [vector] = await embedders.embedTexts(field, schema.fields[field] as VectorFieldSpec, [text]);
      vectors.set(field, vector!);
    }
    try {
      return await engine.patch(index, id, (stored) => {
        const { next, needs: now } = merge(schema, stored, patch, id);
        for (const [field, text] of now) {
          if (needs.get(field) !== text) throw new TextChanged();
          next[field] = vectors.get(field)!;
        }
        return next;
      });
    } catch (err) {
      if (!(err instanceof TextChanged)) throw err;
      if (attempt >= ATTEMPTS)
        throw new SiftError(
          'PATCH_CONFLICT',
          `document "${id}": its embedded text kept changing under concurrent writes; nothing was written by this patch`,
          { index, id },
        );
    }
  }
}
