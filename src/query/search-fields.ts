import { SiftError } from '../errors.js';
import type { IndexSchema } from '../schema/types.js';
import type { SearchField } from './types.js';

/**
 * Which searchable fields a request searches and their weights (`search_fields=name^3,summary`, or in a body
 * `["name^3", "summary"]` or `{"name": 3, "summary": 1}`), instead of the schema's. Only searchable fields may be
 * named: the schema decides what is indexed for text, the request only narrows and reweighs it.
 */

/** Largest weight a request may give a field (the schema's boosts have the same bound). */
export const MAX_SEARCH_WEIGHT = 1000;
const ENTRY = /^([^^]+?)(?:\^([0-9]+(?:\.[0-9]+)?))?$/;
/** A weight above 0 and at most MAX_SEARCH_WEIGHT, written as a decimal number (so the OpenAPI document can say so). */
const WEIGHT = '(?:1000(?:\\.0+)?|[1-9][0-9]{0,2}(?:\\.[0-9]+)?|0\\.[0-9]*[1-9][0-9]*)';
/** One entry: a field name (a path into objects too), optionally ^weight. */
export const SEARCH_FIELD_ENTRY = `[a-z_][a-z0-9_]{0,63}(?:\\.[a-z_][a-z0-9_]{0,63}){0,3}(?:\\^${WEIGHT})?`;
/** The text form: entries separated by commas (spaces allowed around them), or nothing (the default). */
export const SEARCH_FIELDS_PATTERN = `^(?: *${SEARCH_FIELD_ENTRY} *(?:, *${SEARCH_FIELD_ENTRY} *)*)?$`;

export type RawSearchFields = string | string[] | Record<string, number>;

/** A malformed entry or weight: the request's own shape. */
const invalid = (message: string, field?: string) =>
  new SiftError('INVALID_REQUEST', `search_fields: ${message}`, field === undefined ? {} : { field });
/** A field this index does not have, does not search, or that is named twice: INVALID_FIELD, as elsewhere. */
const badField = (message: string, field: string) =>
  new SiftError('INVALID_FIELD', `search_fields: ${message}`, { field });

function weightOf(field: string, raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0 || raw > MAX_SEARCH_WEIGHT)
    throw invalid(
      `the weight of "${field}" must be a number above 0 and at most ${MAX_SEARCH_WEIGHT}`,
      field,
    );
  return raw;
}

function entries(raw: RawSearchFields): [string, number][] {
  if (typeof raw === 'object' && !Array.isArray(raw))
    return Object.entries(raw).map(([field, w]) => [field, weightOf(field, w)]);
  const list = (Array.isArray(raw) ? raw : raw.split(',')).map((s) => String(s).trim()).filter(Boolean);
  return list.map((item) => {
    const m = ENTRY.exec(item);
    if (!m) throw invalid(`"${item}" must be a field name, optionally with ^weight (name^3)`);
    return [m[1]!, m[2] === undefined ? 1 : weightOf(m[1]!, Number(m[2]))];
  });
}

/**
 * The fields to search with their weights, or null for the schema's own (when the request names none: absent,
 * or empty like the other list parameters).
 */
export function parseSearchFields(
  raw: RawSearchFields | undefined,
  schema: IndexSchema,
): SearchField[] | null {
  if (raw === undefined) return null;
  const list = entries(raw);
  if (!list.length) return null;
  const seen = new Set<string>();
  return list.map(([field, boost]) => {
    const spec = Object.hasOwn(schema.fields, field) ? schema.fields[field] : undefined;
    if (!spec) throw badField(`unknown field "${field}"`, field);
    if (!spec.searchable) throw badField(`field "${field}" is not searchable`, field);
    if (seen.has(field)) throw badField(`field "${field}" appears twice`, field);
    seen.add(field);
    return { field, boost };
  });
}

/** The fields a text query searches, with weights: the request's, else every searchable field of the schema. */
export function searchedFields(schema: IndexSchema, fields: SearchField[] | undefined): SearchField[] {
  if (fields) return fields;
  return Object.entries(schema.fields)
    .filter(([, s]) => s.searchable)
    .map(([field, s]) => ({ field, boost: s.boost }));
}
