import { SiftError } from '../errors.js';
import type { IndexSchema } from '../schema/types.js';
import type { DistinctRequest } from './types.js';

/** Most hits per group: each engine reads them per group of the page (the clusters' inner hits). */
export const MAX_DISTINCT_LIMIT = 10;
const LIMIT_PATTERN = /^[1-9][0-9]?$/;

/**
 * `distinct` and `distinct_limit` of a search, checked against the schema: the field must be a keyword field
 * (grouping is by exact value, which text fields do not have) other than the id (every document would be its own
 * group). Null when the search does not group.
 */
export function parseDistinct(
  input: { distinct?: string; distinct_limit?: number | string },
  schema: IndexSchema,
): DistinctRequest | null {
  const field = input.distinct;
  // distinct_limit alone means nothing and is ignored: an API document cannot state that one parameter needs
  // another, so refusing it would refuse a request the document calls valid.
  if (field === undefined || field === '') return null;
  const spec = Object.hasOwn(schema.fields, field) ? schema.fields[field] : undefined;
  if (!spec) throw new SiftError('INVALID_FIELD', `distinct: unknown field "${field}"`, { field });
  if (spec.type !== 'keyword' || field === schema.id_field)
    throw new SiftError(
      'INVALID_FIELD',
      `distinct: field "${field}" is ${field === schema.id_field ? 'the id field' : `a ${spec.type} field`}; group by a keyword field`,
      { field },
    );
  // A document with a list of values would belong to several groups: Elasticsearch's collapse refuses those.
  if (spec.array)
    throw new SiftError(
      'INVALID_FIELD',
      `distinct: field "${field}" holds a list of values; group by a single-valued keyword field`,
      { field },
    );
  const raw = input.distinct_limit ?? 1;
  const limit = typeof raw === 'string' && LIMIT_PATTERN.test(raw) ? Number(raw) : raw;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_DISTINCT_LIMIT)
    throw new SiftError(
      'INVALID_REQUEST',
      `distinct_limit must be an integer from 1 to ${MAX_DISTINCT_LIMIT}, got ${JSON.stringify(raw)}`,
      { field: 'distinct_limit' },
    );
  return { field, limit };
}
