import { SiftError } from '../errors.js';
import { topLevelNames, valuesAt } from './paths.js';
import { isVectorField, type FieldSpec, type IndexSchema, type VectorFieldSpec } from './types.js';

export type Document = Record<string, unknown>;
export const MAX_ID_LENGTH = 512;
// C0 controls except tab, newline and carriage return, plus DEL: never meaningful in stored text.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_TEXT = 65_536;

const bad = (field: string, problem: string): never => {
  throw new SiftError('INVALID_DOCUMENT', `field "${field}": ${problem}`, { field });
};

/**
 * Whether a string is longer than MAX_ID_LENGTH characters (code points), as JSON Schema's maxLength and the
 * documented limit count them; a UTF-16 length of more than twice the limit is too long whatever it holds.
 */
function tooLong(s: string): boolean {
  if (s.length <= MAX_ID_LENGTH) return false;
  if (s.length > 2 * MAX_ID_LENGTH) return true;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    if (++n > MAX_ID_LENGTH) return true;
  }
  return false;
}

export function checkId(id: unknown): string {
  if (typeof id === 'number' && Number.isSafeInteger(id)) id = String(id);
  if (typeof id !== 'string' || id.length === 0 || tooLong(id) || CONTROL.test(id)) {
    throw new SiftError(
      'INVALID_DOCUMENT_ID',
      `document id must be a string of 1-${MAX_ID_LENGTH} characters without control characters, got ${JSON.stringify(id)?.slice(0, 80)}`,
    );
  }
  return id as string;
}

/** Parses a date given as ISO-8601 text or epoch milliseconds; returns epoch ms or undefined. */
export function toEpochMs(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && Math.abs(v) <= 8.64e15 ? v : undefined;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v))
    return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

function coerce(name: string, spec: FieldSpec, v: unknown): unknown {
  switch (spec.type) {
    case 'text':
    case 'keyword': {
      if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
      if (typeof v !== 'string') return bad(name, `expects a string, got ${typeName(v)}`);
      if (CONTROL.test(v)) return bad(name, 'contains a control character');
      if (v.length > MAX_TEXT) return bad(name, `is longer than ${MAX_TEXT} characters`);
      return v;
    }
    case 'integer':
      if (typeof v !== 'number' || !Number.isSafeInteger(v))
        return bad(name, `expects an integer within ±2^53, got ${JSON.stringify(v)?.slice(0, 40)}`);
      return v;
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v))
        return bad(name, `expects a finite number, got ${JSON.stringify(v)?.slice(0, 40)}`);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean')
        return bad(name, `expects true or false, got ${JSON.stringify(v)?.slice(0, 40)}`);
      return v;
    case 'date': {
      const ms = toEpochMs(v);
      if (ms === undefined)
        return bad(
          name,
          `expects an ISO-8601 date or epoch milliseconds, got ${JSON.stringify(v)?.slice(0, 40)}`,
        );
      return new Date(ms).toISOString();
    }
    case 'vector':
      // Vector fields are checked whole by checkVector before any element is looked at.
      return bad(name, 'is a vector field');
  }
}

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/** Values one array field may hold in one document (or across the elements of an array of objects). */
export const MAX_ARRAY_VALUES = 1000;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a list field's values: each element by its type, named by its index in errors. */
function coerceArray(name: string, spec: FieldSpec, list: unknown[]): unknown[] {
  if (list.length > MAX_ARRAY_VALUES)
    bad(name, `holds ${list.length} values; an array field holds at most ${MAX_ARRAY_VALUES}`);
  return list.map((el, i) => {
    if (el === null || el === undefined) return bad(name, `element ${i} is null; leave it out instead`);
    if (Array.isArray(el)) return bad(name, `element ${i} is an array; arrays of arrays are not supported`);
    return coerce(`${name}[${i}]`, spec, el);
  });
}

/** The largest magnitude a vector element may have: engines keep vectors as float32, beyond which is Infinity. */
export const MAX_VECTOR_ELEMENT = 3.4028234663852886e38;
export const isVectorElement = (x: unknown): x is number =>
  typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= MAX_VECTOR_ELEMENT;

/** How far from 1 the length of a dot_product vector may be (Elasticsearch requires unit vectors for it). */
export const UNIT_LENGTH_TOLERANCE = 1e-3;

/**
 * A vector field's value: exactly `dimensions` finite numbers. A dot_product field takes unit-length vectors
 * only, as Elasticsearch does, so the score formula means the same on every engine.
 */
export function checkVector(name: string, spec: VectorFieldSpec, v: unknown): number[] {
  if (!Array.isArray(v))
    return bad(name, `expects an array of ${spec.dimensions} numbers, got ${typeName(v)}`);
  if (v.length !== spec.dimensions) return bad(name, `expects ${spec.dimensions} numbers, got ${v.length}`);
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (!isVectorElement(x))
      return bad(
        name,
        `element ${i} must be a finite number within float32 range, got ${JSON.stringify(x)?.slice(0, 40) ?? typeName(x)}`,
      );
    norm += x * x;
  }
  norm = Math.sqrt(norm);
  if (spec.similarity === 'dot_product' && Math.abs(norm - 1) > UNIT_LENGTH_TOLERANCE)
    return bad(name, `dot_product needs unit-length vectors; this one has length ${norm.toPrecision(6)}`);
  if (spec.similarity === 'cosine' && norm === 0)
    return bad(name, 'cosine similarity cannot compare a vector of zeros');
  return v as number[];
}

/**
 * One declared leaf. An array where the schema declares one value is refused (the field would have to change
 * shape); a single value where it declares an array is kept as written and searched as a one-element array.
 */
function coerceLeaf(name: string, spec: FieldSpec, v: unknown, inArrayOfObjects: boolean): unknown {
  if (isVectorField(spec)) return checkVector(name, spec, v);
  if (inArrayOfObjects && !spec.array)
    return bad(
      name,
      'is inside an array of objects, so it holds one value per element; declare it with "array": true',
    );
  if (Array.isArray(v)) {
    if (!spec.array)
      return bad(
        name,
        `expects a single ${spec.type}, got an array; declare it with "array": true to store several`,
      );
    return coerceArray(name, spec, v);
  }
  return coerce(name, spec, v);
}

/**
 * The clean copy of one object level: `prefix` is the dotted path of the object (empty at the top). A member is
 * a declared leaf, or an object (or array of objects) on the way to one; anything else is refused.
 */
function checkObject(
  shape: SchemaShape,
  src: Record<string, unknown>,
  prefix: string,
  inArrayOfObjects: boolean,
): Document {
  const { schema } = shape;
  const out: Document = {};
  for (const key of Object.keys(src)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) bad(path, 'is a reserved name');
    // One spelling per document: a dotted name is a path, written as nested objects.
    if (key.includes('.'))
      bad(
        path,
        `a member name cannot hold "."; write the path as nested objects ({"${key.split('.')[0]}": {...}})`,
      );
    const v = src[key];
    if (Object.hasOwn(schema.fields, path)) {
      if (v === undefined || v === null) continue;
      // An empty list is no value, as every engine treats it (missing for exists, required and facets).
      const clean = coerceLeaf(path, schema.fields[path]!, v, inArrayOfObjects);
      if (!Array.isArray(clean) || clean.length > 0) out[key] = clean;
      continue;
    }
    if (!shape.objectPaths.has(path)) bad(path, 'is not declared in the index schema');
    if (v === undefined || v === null) continue;
    if (isObject(v)) {
      const inner = checkObject(shape, v, path, inArrayOfObjects);
      if (Object.keys(inner).length) out[key] = inner;
    } else if (Array.isArray(v)) {
      const items = v.map((el, i) => {
        if (!isObject(el)) return bad(`${path}[${i}]`, `expects an object, got ${typeName(el)}`);
        return checkObject(shape, el, path, true);
      });
      if (items.length) out[key] = items;
    } else bad(path, `is an object of the schema (${childrenOf(schema, path)}), got ${typeName(v)}`);
  }
  return out;
}

/**
 * What a document check needs of the schema beyond its fields, worked out once per schema instead of once per
 * document (over a large import these lookups cost as much as the check itself).
 */
interface SchemaShape {
  schema: IndexSchema;
  /** The top-level member names, in the schema's order (documents are stored in it). */
  topLevel: string[];
  /** Required fields other than the id field. */
  required: string[];
  /** Every dotted path that is an object on the way to a declared field (`author` for `author.name`). */
  objectPaths: Set<string>;
}

function shapeOf(schema: IndexSchema): SchemaShape {
  const names = Object.keys(schema.fields);
  const objectPaths = new Set<string>();
  for (const name of names) {
    const segments = name.split('.');
    for (let i = 1; i < segments.length; i++) objectPaths.add(segments.slice(0, i).join('.'));
  }
  return {
    schema,
    topLevel: [...topLevelNames(schema.fields)],
    required: names.filter((name) => schema.fields[name]!.required && name !== schema.id_field),
    objectPaths,
  };
}

const childrenOf = (schema: IndexSchema, path: string): string =>
  Object.keys(schema.fields)
    .filter((f) => f.startsWith(`${path}.`))
    .slice(0, 4)
    .join(', ');

/**
 * Checks a document against its schema and returns its id and a clean copy: only declared fields (nested objects
 * along declared paths), values of the declared type, dates normalised to ISO-8601 UTC. Unknown fields are an
 * error rather than silently dropped, so a typo in a field name shows up at write time instead of as a search
 * that never matches.
 */
export function checkDocument(
  schema: IndexSchema,
  raw: unknown,
  idHint?: string,
): { id: string; document: Document } {
  return documentChecker(schema)(raw, idHint);
}

/**
 * checkDocument for many documents of one schema: what the check needs of the schema is worked out once, when
 * the checker is made. The schema must not change while the checker is in use.
 */
export function documentChecker(
  schema: IndexSchema,
): (raw: unknown, idHint?: string) => { id: string; document: Document } {
  const shape = shapeOf(schema);
  return (raw, idHint) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new SiftError('INVALID_DOCUMENT', `a document must be a JSON object, got ${typeName(raw)}`);
    }
    const checked = checkObject(shape, raw as Record<string, unknown>, '', false);
    // In the schema's order, as documents have always been stored.
    const out: Document = {};
    for (const name of shape.topLevel) if (Object.hasOwn(checked, name)) out[name] = checked[name];
    for (const name of shape.required) if (valuesAt(out, name).length === 0) bad(name, 'is required');
    const given = out[schema.id_field];
    let id: string;
    if (idHint !== undefined) {
      id = checkId(idHint);
      if (given !== undefined && given !== id)
        bad(schema.id_field, `is "${String(given)}" but the URL names "${id}"`);
    } else {
      if (given === undefined) bad(schema.id_field, 'is the id field and is missing');
      id = checkId(given);
    }
    out[schema.id_field] = id;
    return { id, document: out };
  };
}
