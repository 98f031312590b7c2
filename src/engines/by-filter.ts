import { SiftError } from '../errors.js';
import { buildSearchRequest, type QueryLimits } from '../query/request.js';
import type { Filter } from '../query/types.js';
import { checkDocument } from '../schema/document.js';
import { applyMergePatch, checkPatch } from '../schema/merge-patch.js';
import { vectorFields, type IndexSchema } from '../schema/types.js';
import type { Engine } from './engine.js';

/** The limit of a write by filter that names none: a mistaken filter can touch no more than this. */
export const DEFAULT_BY_FILTER_LIMIT = 1000;
/** The largest limit: one transaction (embedded) or one collection of matches in memory (clusters). */
export const MAX_BY_FILTER_LIMIT = 10_000;

/** A delete or update by filter as it arrives (HTTP body, CLI flags). */
export interface ByFilterInput {
  /** A filter expression or JSON tree; absent or empty matches every document, which needs an explicit limit. */
  filter?: string | Record<string, unknown>;
  limit?: number;
  /** Count what would be touched and change nothing. */
  dry_run?: boolean;
}
export interface UpdateByFilterInput extends ByFilterInput {
  /** Fields to set on every match, as a JSON merge patch (RFC 7396): null removes a field. */
  set: unknown;
}

export interface ByFilterAnswer {
  dry_run: boolean;
  /** Documents the filter matches (now, for a dry run; when the write ran, otherwise). */
  matched: number;
  limit: number;
  /** A dry run only: whether the write would be refused with TOO_MANY_MATCHES. */
  over_limit?: boolean;
}
export type DeleteByFilterAnswer = ByFilterAnswer & { deleted: number };
export type UpdateByFilterAnswer = ByFilterAnswer & { updated: number };

/** The refusal of a write by filter that matches more than its limit: nothing has been written. */
export const tooManyMatches = (index: string, matched: number, limit: number): SiftError =>
  new SiftError(
    'TOO_MANY_MATCHES',
    `the filter matches ${matched} documents of index "${index}", more than the limit of ${limit}; nothing was changed`,
    { index, matched, limit },
  );

const matchesAll = (f: Filter | null) => f === null || (f.kind === 'and' && f.children.length === 0);

/** The checked filter and limit; a filter that matches everything must come with a limit of its own. */
function prepare(schema: IndexSchema, limits: QueryLimits, input: ByFilterInput, verb: string) {
  const { request } = buildSearchRequest(
    { ...(input.filter !== undefined ? { filter: input.filter } : {}), size: 0, track_total: true },
    schema,
    limits,
  );
  const limit = input.limit ?? DEFAULT_BY_FILTER_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BY_FILTER_LIMIT)
    throw new SiftError(
      'INVALID_REQUEST',
      `limit must be an integer from 1 to ${MAX_BY_FILTER_LIMIT}, got ${String(limit)}`,
      { field: 'limit' },
    );
  if (matchesAll(request.filter) && input.limit === undefined)
    throw new SiftError(
      'INVALID_REQUEST',
      `no filter (or one that matches every document) would ${verb} the whole index: give a filter, or an explicit limit`,
      { field: 'filter' },
    );
  return { request, filter: matchesAll(request.filter) ? null : request.filter, limit };
}

/** A dry run: the exact count of the filter's matches, through the engine's own search. */
async function dryRun(
  engine: Engine,
  index: string,
  prepared: ReturnType<typeof prepare>,
): Promise<ByFilterAnswer> {
  const { total } = await engine.search(index, prepared.request);
  return { dry_run: true, matched: total, limit: prepared.limit, over_limit: total > prepared.limit };
}

/**
 * Deletes what a filter matches, at most `limit` documents (refused with TOO_MANY_MATCHES above it, deleting
 * nothing), or only counts them (`dry_run`).
 */
export async function deleteByFilter(
  engine: Engine,
  schema: IndexSchema,
  limits: QueryLimits,
  index: string,
  input: ByFilterInput,
): Promise<DeleteByFilterAnswer> {
  const prepared = prepare(schema, limits, input, 'delete');
  if (input.dry_run) return { ...(await dryRun(engine, index, prepared)), deleted: 0 };
  const { matched, changed } = await engine.deleteByFilter(index, {
    filter: prepared.filter,
    limit: prepared.limit,
  });
  return { dry_run: false, matched, limit: prepared.limit, deleted: changed };
}

/**
 * Checks `set` against the schema before anything is written: only declared fields, never the id field, values
 * of the declared types, and no required field removed. INVALID_DOCUMENT names the field.
 */
export function checkSet(schema: IndexSchema, raw: unknown): Record<string, unknown> {
  if (raw === undefined)
    throw new SiftError('INVALID_REQUEST', 'set: give the fields to set, e.g. {"license": "MIT"}', {
      field: 'set',
    });
  const set = checkPatch(raw);
  if (Object.keys(set).length === 0)
    throw new SiftError('INVALID_REQUEST', 'set: name at least one field', { field: 'set' });
  if (Object.hasOwn(set, schema.id_field))
    throw new SiftError(
      'INVALID_DOCUMENT',
      `field "${schema.id_field}": is the id field; an update by filter cannot change ids`,
      { field: schema.id_field },
    );
  for (const name of Object.keys(set))
    if (!Object.hasOwn(schema.fields, name))
      throw new SiftError('INVALID_DOCUMENT', `field "${name}": is not declared in the index schema`, {
        field: name,
      });
  // An update by filter writes inside the engine's scan, where an embedder cannot be waited on: setting a source
  // field of an embedded vector field there would leave the documents' vectors describing their old text.
  for (const [field, spec] of vectorFields(schema)) {
    const touched = spec.embedder?.fields.find((name) => Object.hasOwn(set, name.split('.')[0]!));
    if (touched && !Object.hasOwn(set, field))
      throw new SiftError(
        'INVALID_REQUEST',
        `set: field "${touched}" is embedded into vector field "${field}", which an update by filter cannot recompute; patch those documents instead`,
        { field: touched },
      );
  }
  // The values alone, as a document of a schema where nothing is required, so only what `set` names is checked.
  const lenient: IndexSchema = {
    ...schema,
    fields: Object.fromEntries(
      Object.entries(schema.fields).map(([name, spec]) => [name, { ...spec, required: false }]),
    ),
  };
  checkDocument(lenient, applyMergePatch({}, set), 'set');
  for (const [name, value] of Object.entries(set))
    if (value === null && schema.fields[name]?.required)
      throw new SiftError('INVALID_DOCUMENT', `field "${name}": is required and cannot be removed`, {
        field: name,
      });
  return set;
}

/**
 * Sets fields (a merge patch) on what a filter matches, at most `limit` documents, or only counts them. Every
 * changed document is checked against the schema again inside the engine's write.
 */
export async function updateByFilter(
  engine: Engine,
  schema: IndexSchema,
  limits: QueryLimits,
  index: string,
  input: UpdateByFilterInput,
): Promise<UpdateByFilterAnswer> {
  const set = checkSet(schema, input.set);
  const prepared = prepare(schema, limits, input, 'update');
  if (input.dry_run) return { ...(await dryRun(engine, index, prepared)), updated: 0 };
  const { matched, changed } = await engine.updateByFilter(
    index,
    { filter: prepared.filter, limit: prepared.limit },
    (current) => {
      const id = String(current[schema.id_field]);
      return checkDocument(schema, applyMergePatch(current, set), id).document;
    },
  );
  return { dry_run: false, matched, limit: prepared.limit, updated: changed };
}
