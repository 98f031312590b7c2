import { isSiftError, SiftError } from '../errors.js';
import { checkVector, type Document } from '../schema/document.js';
import { embeddingText } from '../schema/embedder.js';
import { vectorFields, type IndexSchema, type VectorFieldSpec } from '../schema/types.js';
import { embedTexts } from './rest-embedder.js';

export interface EmbeddersOptions {
  /** The longest one write or search waits for its embeddings, every batch, retry and backoff included. */
  deadlineMs: number;
  /** Query embeddings kept for repeated searches (least recently used first out); 0 keeps none. */
  queryCacheSize?: number;
  /** Where API key variables are read; the process environment by default. */
  env?: NodeJS.ProcessEnv;
}

/** The vector fields of a schema that have an embedder. */
export const embeddedFields = (schema: IndexSchema) =>
  vectorFields(schema).filter(([, spec]) => spec.embedder !== undefined);

/**
 * The vector fields' embedders as the service uses them: the vectors of documents written without one, and of a
 * search's text. Each call is bounded by the configured deadline. Above the engines, so every engine stores and
 * searches vectors it was given, unaware of where they came from.
 */
export class Embedders {
  private readonly queries = new Map<string, number[]>();

  constructor(private readonly opts: EmbeddersOptions) {}

  private call(field: string, spec: VectorFieldSpec) {
    return {
      field,
      dimensions: spec.dimensions,
      deadlineAt: performance.now() + this.opts.deadlineMs,
      ...(this.opts.env ? { env: this.opts.env } : {}),
    };
  }

  /** The vector of a search's text in `field`; repeated texts are answered from memory. */
  async embedQuery(field: string, spec: VectorFieldSpec, text: string): Promise<number[]> {
    const embedder = spec.embedder;
    if (!embedder)
      throw new SiftError('INVALID_REQUEST', `vector field "${field}" has no embedder: send a vector`, {
        field: 'vector',
      });
    const key = JSON.stringify([embedder.url, embedder.model, spec.dimensions, text]);
    const known = this.queries.get(key);
    if (known) {
      // Most recently used last, so the oldest is the first out.
      this.queries.delete(key);
      this.queries.set(key, known);
      return known;
    }
    const [vector] = await embedTexts(embedder, [text], this.call(field, spec));
    const checked = asVector(field, spec, vector!);
    const size = this.opts.queryCacheSize ?? 1000;
    if (size > 0) {
      this.queries.set(key, checked);
      if (this.queries.size > size) this.queries.delete(this.queries.keys().next().value!);
    }
    return checked;
  }

  /** The vectors of documents' source texts in `field`, in order, each held to the field's rules. */
  async embedTexts(field: string, spec: VectorFieldSpec, texts: string[]): Promise<number[][]> {
    const vectors = await embedTexts(spec.embedder!, texts, this.call(field, spec));
    return vectors.map((v) => asVector(field, spec, v));
  }

  /**
   * Gives every document that lacks the vector of a field with an embedder the embedding of its source text (in
   * place). Returns, per document, null or the error that refuses it: a document whose vector cannot be had is
   * never written without it. A document with none of the source text keeps no vector, as one written without it.
   */
  async fill(schema: IndexSchema, documents: Document[]): Promise<(SiftError | null)[]> {
    const refused: (SiftError | null)[] = documents.map(() => null);
    for (const [field, spec] of embeddedFields(schema)) {
      const waiting = new Map<string, number[]>();
      documents.forEach((doc, i) => {
        if (refused[i] || (doc[field] !== undefined && doc[field] !== null)) return;
        const text = embeddingText(spec.embedder!, doc);
        if (!text) return;
        const at = waiting.get(text);
        if (at) at.push(i);
        else waiting.set(text, [i]);
      });
      if (waiting.size === 0) continue;
      const texts = [...waiting.keys()];
      try {
        const vectors = await this.embedTexts(field, spec, texts);
        texts.forEach((text, t) => {
          for (const i of waiting.get(text)!) documents[i]![field] = vectors[t]!;
        });
      } catch (err) {
        if (!isSiftError(err)) throw err;
        for (const positions of waiting.values()) for (const i of positions) refused[i] = err;
      }
    }
    return refused;
  }
}

/** An embedder's vector held to the field's rules (a cosine vector of zeros, a dot_product one not unit length). */
function asVector(field: string, spec: VectorFieldSpec, vector: number[]): number[] {
  try {
    return checkVector(field, spec, vector);
  } catch (err) {
    if (!isSiftError(err)) throw err;
    throw new SiftError(
      'EMBEDDER_FAILED',
      `the embedder of vector field "${field}" gave an unusable vector: ${err.message}`,
      {
        field,
      },
    );
  }
}
