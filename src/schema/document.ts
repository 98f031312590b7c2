import { SiftError } from '../errors.js';
import type { FieldSpec, IndexSchema } from './types.js';

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
  }
}

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * Checks a document against its schema and returns its id and a clean copy: only declared fields, values of the
 * declared type, dates normalised to ISO-8601 UTC. Unknown fields are an error rather than silently dropped, so a
 * typo in a field name shows up at write time instead of as a search that never matches.
 */
export function checkDocument(
  schema: IndexSchema,
  raw: unknown,
  idHint?: string,
): { id: string; document: Document } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SiftError('INVALID_DOCUMENT', `a document must be a JSON object, got ${typeName(raw)}`);
  }
  const src = raw as Record<string, unknown>;
  const out: Document = {};
  for (const key of Object.keys(src)) {
    if (FORBIDDEN_KEYS.has(key)) bad(key, 'is a reserved name');
    if (!Object.hasOwn(schema.fields, key)) bad(key, 'is not declared in the index schema');
  }
  for (const [name, spec] of Object.entries(schema.fields)) {
    const v = Object.hasOwn(src, name) ? src[name] : undefined;
    if (v === undefined || v === null) {
      if (spec.required && name !== schema.id_field) bad(name, 'is required');
      continue;
    }
    out[name] = coerce(name, spec, v);
  }
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
}
