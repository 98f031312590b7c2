import { SiftError } from '../errors.js';
import { isVectorElement, UNIT_LENGTH_TOLERANCE } from '../schema/document.js';
import { isVectorField, vectorFields, type IndexSchema } from '../schema/types.js';
import type { HybridOptions, SortClause, VectorQuery } from './types.js';

/** The vector part of a POST search as it arrives. */
export interface RawVectorInput {
  vector?: unknown;
  k?: unknown;
  vector_field?: unknown;
  hybrid?: RawHybrid;
}
export interface RawHybrid {
  fusion?: unknown;
  semantic_ratio?: unknown;
  rank_constant?: unknown;
  candidates?: unknown;
}

export const HYBRID_DEFAULTS: HybridOptions = {
  fusion: 'weighted',
  semanticRatio: 0.5,
  rankConstant: 60,
  candidates: 100,
};
/** The most candidates each side of a hybrid search contributes (each is an engine search of that size). */
export const MAX_HYBRID_CANDIDATES = 1000;
export const MAX_RANK_CONSTANT = 10_000;

const invalid = (field: string, message: string): never => {
  throw new SiftError('INVALID_REQUEST', message, { field });
};

const isInteger = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** The vector field searched: the one named, or the index's only one. */
function vectorField(raw: unknown, schema: IndexSchema): string {
  if (raw === undefined) {
    const all = vectorFields(schema);
    if (all.length === 1) return all[0]![0];
    throw new SiftError(
      'INVALID_FIELD',
      all.length === 0
        ? 'vector: this index has no vector field'
        : `vector_field: name the vector field to search (${all.map(([n]) => n).join(', ')})`,
      { field: 'vector_field' },
    );
  }
  const name = String(raw);
  const spec = typeof raw === 'string' && Object.hasOwn(schema.fields, raw) ? schema.fields[raw] : undefined;
  if (!spec) throw new SiftError('INVALID_FIELD', `vector_field: unknown field "${name}"`, { field: name });
  if (!isVectorField(spec))
    throw new SiftError('INVALID_FIELD', `vector_field: field "${name}" is not a vector field`, {
      field: name,
    });
  return name;
}

function queryVector(raw: unknown, field: string, schema: IndexSchema): number[] {
  const spec = schema.fields[field]!;
  const dims = spec.dimensions!;
  if (!Array.isArray(raw) || raw.length !== dims)
    invalid(
      'vector',
      `vector: field "${field}" holds vectors of ${dims} numbers, got ${Array.isArray(raw) ? `${raw.length}` : JSON.stringify(raw)?.slice(0, 40)}`,
    );
  const list = raw as unknown[];
  let norm = 0;
  for (const [i, x] of list.entries()) {
    if (!isVectorElement(x))
      invalid('vector', `vector: element ${i} must be a finite number within float32 range`);
    norm += (x as number) ** 2;
  }
  norm = Math.sqrt(norm);
  // The same rules as the documents' vectors: the score formulas assume them.
  if (spec.similarity === 'dot_product' && Math.abs(norm - 1) > UNIT_LENGTH_TOLERANCE)
    invalid('vector', `vector: field "${field}" compares by dot_product, which needs a unit-length vector`);
  if (spec.similarity === 'cosine' && norm === 0)
    invalid('vector', 'vector: cosine similarity cannot compare a vector of zeros');
  return list as number[];
}

function parseHybrid(raw: RawHybrid | undefined): HybridOptions {
  if (raw === undefined) return HYBRID_DEFAULTS;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return invalid('hybrid', 'hybrid must be an object');
  const out = { ...HYBRID_DEFAULTS };
  if (raw.fusion !== undefined) {
    if (raw.fusion !== 'rrf' && raw.fusion !== 'weighted')
      invalid('hybrid.fusion', `hybrid.fusion must be rrf or weighted, got ${JSON.stringify(raw.fusion)}`);
    out.fusion = raw.fusion as HybridOptions['fusion'];
  }
  if (raw.semantic_ratio !== undefined) {
    const r = raw.semantic_ratio;
    if (typeof r !== 'number' || !(r >= 0 && r <= 1))
      invalid('hybrid.semantic_ratio', 'hybrid.semantic_ratio must be a number from 0 (text only) to 1');
    out.semanticRatio = r as number;
  }
  if (raw.rank_constant !== undefined) {
    if (!isInteger(raw.rank_constant, 1, MAX_RANK_CONSTANT))
      invalid(
        'hybrid.rank_constant',
        `hybrid.rank_constant must be an integer from 1 to ${MAX_RANK_CONSTANT}`,
      );
    out.rankConstant = raw.rank_constant as number;
  }
  if (raw.candidates !== undefined) {
    if (!isInteger(raw.candidates, 1, MAX_HYBRID_CANDIDATES))
      invalid('hybrid.candidates', `hybrid.candidates must be an integer from 1 to ${MAX_HYBRID_CANDIDATES}`);
    out.candidates = raw.candidates as number;
  }
  return out;
}

/**
 * The kNN or hybrid part of a search, or null when it has no `vector`. `k` defaults to the page size and is at most
 * the largest page; a kNN search is ordered by score only, and groups (distinct) do not apply to it.
 */
export function parseVectorQuery(
  input: RawVectorInput & { q?: string; distinct?: unknown },
  schema: IndexSchema,
  context: { size: number; maxPageSize: number; sort: SortClause[]; hasText: boolean },
): VectorQuery | null {
  if (input.vector === undefined) {
    // q with hybrid and no vector: the field's embedder gives the vector of q (the service asks it).
    if (input.hybrid !== undefined && context.hasText) {
      const field = vectorField(input.vector_field, schema);
      if (!schema.fields[field]!.embedder)
        invalid(
          'vector',
          `hybrid needs a vector, or an embedder on vector field "${field}" to compute one from q`,
        );
      return vectorQuery(input, context, field, [], (input.q ?? '').trim());
    }
    for (const key of ['k', 'vector_field', 'hybrid'] as const)
      if (input[key] !== undefined) invalid(key, `${key} needs a vector to search with`);
    return null;
  }
  const field = vectorField(input.vector_field, schema);
  return vectorQuery(input, context, field, queryVector(input.vector, field, schema));
}

function vectorQuery(
  input: RawVectorInput & { distinct?: unknown },
  context: { size: number; maxPageSize: number; sort: SortClause[]; hasText: boolean },
  field: string,
  vector: number[],
  embed?: string,
): VectorQuery {
  const k = input.k ?? Math.max(context.size, 1);
  if (!isInteger(k, 1, context.maxPageSize))
    invalid('k', `k must be an integer from 1 to ${context.maxPageSize}, got ${JSON.stringify(k)}`);
  if (context.sort.length !== 1 || context.sort[0]!.field !== '_score' || context.sort[0]!.order !== 'desc')
    throw new SiftError('INVALID_SORT', 'sort: a vector search is ordered by score; leave sort out', {
      field: 'sort',
    });
  if (input.distinct !== undefined && input.distinct !== '')
    invalid('distinct', 'distinct cannot group a vector search');
  if (input.hybrid !== undefined && !context.hasText)
    invalid('hybrid', 'hybrid needs q as well as vector (a vector alone is a kNN search)');
  return {
    field,
    vector,
    k: k as number,
    hybrid: context.hasText ? parseHybrid(input.hybrid) : null,
    ...(embed !== undefined ? { embed } : {}),
  };
}
