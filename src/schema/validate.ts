import { SiftError } from '../errors.js';
import { parseCurations } from './curations.js';
import { parseEmbedder } from './embedder.js';
import { parseStopWords, parseSynonyms, parseTypoTolerance, SETTINGS_KEYS } from './settings.js';
import {
  ANALYZERS,
  FIELD_TYPES,
  isNumericType,
  isTextual,
  MAX_DIMENSIONS,
  SIMILARITIES,
  type FieldSpec,
  type FieldType,
  type IndexSchema,
  type Similarity,
} from './types.js';

/** One name, as the id field and every member of an object are named. */
export const SIMPLE_NAME = /^[a-z_][a-z0-9_]{0,63}$/;
/** Levels of objects a field may sit in: `a.b.c.d` at most. */
export const MAX_FIELD_DEPTH = 4;
/**
 * A valid field name: a name, or a dotted path of names into nested objects (`author.name`). The HTTP schema of
 * an index schema uses its source.
 */
export const FIELD_NAME = /^[a-z_][a-z0-9_]{0,63}(?:\.[a-z_][a-z0-9_]{0,63}){0,3}$/;
export const FIELD_NAME_RULE =
  'must match [a-z_][a-z0-9_]* (at most 64 characters), or be up to 4 such names joined by "." for nested objects';
const FIELD_OPTIONS = new Set([
  'type',
  'searchable',
  'boost',
  'filterable',
  'facet',
  'sortable',
  'returned',
  'required',
  'array',
  'dimensions',
  'similarity',
  'index',
  'embedder',
]);
const VECTOR_OPTIONS = ['dimensions', 'similarity', 'index', 'embedder'];
const TOP_LEVEL = new Set([
  'id_field',
  'fields',
  'ranking',
  'suggest',
  'analyzer',
  ...SETTINGS_KEYS,
  'curations',
]);
export const MAX_FIELDS = 64;

const fail = (field: string | undefined, problem: string): never => {
  throw new SiftError(
    'INVALID_SCHEMA',
    field ? `field "${field}": ${problem}` : problem,
    field ? { field } : undefined,
  );
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function bool(field: string, spec: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = spec[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(field, `option "${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v as boolean;
}

function parseField(name: string, raw: unknown): FieldSpec {
  if (!FIELD_NAME.test(name)) fail(name, `name ${FIELD_NAME_RULE}`);
  if (!isObject(raw)) fail(name, 'must be an object with at least a "type"');
  const spec = raw as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!FIELD_OPTIONS.has(key))
      fail(name, `unknown option "${key}" (known: ${[...FIELD_OPTIONS].join(', ')})`);
  }
  const type = spec.type;
  if (typeof type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(type)) {
    fail(name, `type must be one of ${FIELD_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  }
  const t = type as FieldType;
  if (t === 'vector') return parseVectorField(name, spec);
  for (const key of VECTOR_OPTIONS)
    if (spec[key] !== undefined) fail(name, `option "${key}" is for vector fields only`);
  const searchable = bool(name, spec, 'searchable', t === 'text');
  if (searchable && !isTextual(t))
    fail(name, `a ${t} field cannot be searchable; only text and keyword fields can`);
  let boost = 1;
  if (spec.boost !== undefined) {
    if (
      typeof spec.boost !== 'number' ||
      !Number.isFinite(spec.boost) ||
      spec.boost <= 0 ||
      spec.boost > 1000
    ) {
      fail(name, 'boost must be a number in (0, 1000]');
    }
    boost = spec.boost as number;
    // boost 1 is the default every normalised schema carries, so a schema read back from the API round-trips.
    if (!searchable && boost !== 1) fail(name, 'boost needs searchable: true');
  }
  const facet = bool(name, spec, 'facet', false);
  if (facet && t === 'text') fail(name, 'a text field cannot be a facet; declare it as keyword');
  const filterable = bool(name, spec, 'filterable', t !== 'text');
  if (filterable && t === 'text') fail(name, 'a text field cannot be filterable; declare it as keyword');
  const sortable = bool(name, spec, 'sortable', false);
  if (sortable && t === 'text') fail(name, 'a text field cannot be sortable; declare it as keyword');
  const array = bool(name, spec, 'array', false);
  // The embedded engine keeps a keyword list as JSON for its filters and facets; its text index needs the items
  // apart (phrase boundaries), which only a text list keeps.
  if (array && searchable && t !== 'text')
    fail(name, 'a keyword array cannot be searchable; declare a text array to search its values');
  return {
    type: t,
    searchable,
    boost,
    filterable: filterable || facet,
    facet,
    sortable,
    returned: bool(name, spec, 'returned', true),
    required: bool(name, spec, 'required', false),
    ...(array ? { array: true as const } : {}),
  };
}

/**
 * A vector field holds the document's own embedding. It is found by a kNN search only: never searched as text,
 * filtered, faceted or sorted, and (being large) not returned unless asked.
 */
function parseVectorField(name: string, spec: Record<string, unknown>): FieldSpec {
  if (!SIMPLE_NAME.test(name))
    fail(name, 'a vector field must be a top-level field, not a path into an object');
  for (const key of ['searchable', 'filterable', 'facet', 'sortable', 'array'])
    if (spec[key] === true) fail(name, `a vector field cannot be ${key === 'array' ? 'an array' : key}`);
  if (spec.boost !== undefined && spec.boost !== 1) fail(name, 'boost needs searchable: true');
  const dims = spec.dimensions;
  if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > MAX_DIMENSIONS)
    fail(name, `a vector field needs "dimensions", an integer from 1 to ${MAX_DIMENSIONS}`);
  const similarity = spec.similarity ?? 'cosine';
  if (typeof similarity !== 'string' || !(SIMILARITIES as readonly string[]).includes(similarity))
    fail(name, `similarity must be one of ${SIMILARITIES.join(', ')}, got ${JSON.stringify(similarity)}`);
  return {
    type: 'vector',
    searchable: false,
    boost: 1,
    filterable: false,
    facet: false,
    sortable: false,
    returned: bool(name, spec, 'returned', false),
    required: bool(name, spec, 'required', false),
    dimensions: dims as number,
    similarity: similarity as Similarity,
    index: bool(name, spec, 'index', true),
  };
}

/**
 * Dotted paths describe nested objects, so a path cannot also be a leaf on the way to another
 * (`author` and `author.name`).
 */
function checkPaths(fields: Record<string, FieldSpec>): void {
  for (const name of Object.keys(fields)) {
    const segments = name.split('.');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('.');
      if (Object.hasOwn(fields, parent))
        fail(
          name,
          `is inside "${parent}", which is declared as a ${fields[parent]!.type} field, not an object`,
        );
    }
  }
}

/** Settings that name one value per document refuse a list field (which value would it be?). */
function single(fields: Record<string, FieldSpec>, name: string, what: string): void {
  if (fields[name]?.array) fail(name, `${what} needs a single-valued field, not an array`);
}

/**
 * Validates an index schema from a file or a request body and fills in defaults. Every error names the field
 * and the problem, because a schema is usually written by hand.
 */
export function parseSchema(raw: unknown): IndexSchema {
  if (!isObject(raw)) fail(undefined, 'schema must be an object with "fields"');
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!TOP_LEVEL.has(key))
      fail(undefined, `unknown schema key "${key}" (known: ${[...TOP_LEVEL].join(', ')})`);
  }
  if (!isObject(obj.fields) || Object.keys(obj.fields).length === 0)
    fail(undefined, '"fields" must be a non-empty object');
  const rawFields = obj.fields as Record<string, unknown>;
  if (Object.keys(rawFields).length > MAX_FIELDS) fail(undefined, `at most ${MAX_FIELDS} fields are allowed`);
  const fields: Record<string, FieldSpec> = Object.create(null);
  for (const [name, spec] of Object.entries(rawFields)) fields[name] = parseField(name, spec);
  checkPaths(fields);
  // An embedder names other fields, so it is read once they all are.
  for (const [name, spec] of Object.entries(rawFields)) {
    const raw = (spec as Record<string, unknown>).embedder;
    if (raw === undefined) continue;
    if (fields[name]!.required)
      fail(name, 'a vector field with an embedder cannot be required: the embedder fills it in');
    fields[name]!.embedder = parseEmbedder(name, raw, fields);
  }

  const idField = obj.id_field ?? 'id';
  if (typeof idField !== 'string') fail(undefined, '"id_field" must be a string');
  const id = idField as string;
  const idSpec = fields[id];
  if (!idSpec) fail(id, 'is named as id_field but is not declared in "fields"');
  else if (idSpec.type !== 'keyword') fail(id, 'the id field must be of type keyword');
  else if (!SIMPLE_NAME.test(id))
    fail(id, 'the id field must be a top-level field, not a path into an object');
  single(fields, id, 'the id field');

  const schema: IndexSchema = { id_field: id, fields, ranking: parseRanking(obj.ranking, fields) };
  if (obj.suggest !== undefined) {
    if (!isObject(obj.suggest) || typeof obj.suggest.field !== 'string')
      fail(undefined, '"suggest" must be {"field": "<name>"}');
    const f = (obj.suggest as { field: string }).field;
    const spec = fields[f];
    if (!spec) fail(f, 'is named in suggest but not declared');
    else if (!isTextual(spec.type)) fail(f, 'suggestions need a text or keyword field');
    single(fields, f, 'suggest');
    schema.suggest = { field: f };
  }
  if (!Object.values(fields).some((f) => f.searchable))
    fail(undefined, 'at least one field must be searchable');
  // The relevance settings are kept only when given, so a schema without them reads back as it was written.
  if (obj.typo_tolerance !== undefined)
    schema.typo_tolerance = parseTypoTolerance(obj.typo_tolerance, fields);
  if (obj.stop_words !== undefined) schema.stop_words = parseStopWords(obj.stop_words);
  if (obj.synonyms !== undefined) schema.synonyms = parseSynonyms(obj.synonyms);
  if (obj.curations !== undefined) schema.curations = parseCurations(obj.curations);
  if (obj.analyzer !== undefined) {
    if (typeof obj.analyzer !== 'string' || !(ANALYZERS as readonly string[]).includes(obj.analyzer))
      fail(
        undefined,
        `"analyzer" must be one of ${ANALYZERS.join(', ')}, got ${JSON.stringify(obj.analyzer)}`,
      );
    // The default is kept out of the schema, so a schema without it reads back as it was written.
    if (obj.analyzer !== 'standard') schema.analyzer = obj.analyzer as IndexSchema['analyzer'];
  }
  return schema;
}

function parseRanking(raw: unknown, fields: Record<string, FieldSpec>): IndexSchema['ranking'] {
  if (raw === undefined) return {};
  if (!isObject(raw)) fail(undefined, '"ranking" must be an object');
  const r = raw as Record<string, unknown>;
  const out: IndexSchema['ranking'] = {};
  for (const key of Object.keys(r)) {
    if (key !== 'exact_match' && key !== 'popularity') fail(undefined, `unknown ranking key "${key}"`);
  }
  if (r.exact_match !== undefined) {
    const em = r.exact_match as Record<string, unknown>;
    if (!isObject(em) || !Array.isArray(em.fields) || em.fields.length === 0) {
      fail(undefined, 'ranking.exact_match must be {"fields": [...], "boost": n}');
    }
    for (const f of em.fields as unknown[]) {
      if (typeof f !== 'string' || !fields[f])
        fail(String(f), 'is named in ranking.exact_match but not declared');
      else if (!isTextual(fields[f]!.type)) fail(f, 'exact-match ranking needs a text or keyword field');
      single(fields, f as string, 'exact-match ranking');
    }
    const boost = em.boost ?? 10;
    if (typeof boost !== 'number' || !(boost > 0) || boost > 1e6)
      fail(undefined, 'ranking.exact_match.boost must be a positive number');
    out.exact_match = { fields: em.fields as string[], boost: boost as number };
  }
  if (r.popularity !== undefined) {
    const p = r.popularity as Record<string, unknown>;
    if (!isObject(p) || typeof p.field !== 'string')
      fail(undefined, 'ranking.popularity must be {"field": "<numeric>", "weight": n}');
    const spec = fields[p.field as string];
    if (!spec) fail(p.field as string, 'is named in ranking.popularity but not declared');
    else if (!isNumericType(spec.type) || spec.type === 'date')
      fail(p.field as string, 'popularity needs an integer or float field');
    single(fields, p.field as string, 'popularity ranking');
    const weight = p.weight ?? 1;
    if (typeof weight !== 'number' || !(weight > 0) || weight > 1000)
      fail(undefined, 'ranking.popularity.weight must be a positive number');
    out.popularity = { field: p.field as string, weight: weight as number };
  }
  return out;
}

/** A change is compatible when no existing field changes type; new fields and option changes are fine. */
export function assertCompatible(current: IndexSchema, next: IndexSchema): void {
  if (current.id_field !== next.id_field) {
    throw new SiftError(
      'SCHEMA_MISMATCH',
      `id_field cannot change from "${current.id_field}" to "${next.id_field}"`,
    );
  }
  for (const [name, spec] of Object.entries(current.fields)) {
    const n = next.fields[name];
    if (n && n.type !== spec.type) {
      throw new SiftError(
        'SCHEMA_MISMATCH',
        `field "${name}": type cannot change from ${spec.type} to ${n.type}; reindex instead`,
        { field: name },
      );
    }
    // A vector's length and how it is compared are part of how the engines index it.
    if (
      n &&
      spec.type === 'vector' &&
      (n.dimensions !== spec.dimensions || n.similarity !== spec.similarity || n.index !== spec.index)
    ) {
      throw new SiftError(
        'SCHEMA_MISMATCH',
        `field "${name}": a vector field's dimensions, similarity and index cannot change (${spec.dimensions}, ${spec.similarity}, index ${spec.index}); reindex instead`,
        { field: name },
      );
    }
    // The stored values change shape (one value, a list): the embedded engine keeps them differently.
    if (n && Boolean(n.array) !== Boolean(spec.array)) {
      const shape = (s: FieldSpec) => (s.array ? `an array of ${s.type}` : `a single ${s.type}`);
      throw new SiftError(
        'SCHEMA_MISMATCH',
        `field "${name}": cannot change from ${shape(spec)} to ${shape(n)}; reindex instead`,
        { field: name },
      );
    }
  }
}
