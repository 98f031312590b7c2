import { SiftError } from '../errors.js';
import type { Document } from './document.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Refuses a patch that is not a JSON object: RFC 7396 would replace the whole document with it. */
export function checkPatch(patch: unknown): Record<string, unknown> {
  if (!isObject(patch)) {
    throw new SiftError(
      'INVALID_PATCH',
      `a patch must be a JSON object (a merge patch, RFC 7396), got ${patch === null ? 'null' : Array.isArray(patch) ? 'an array' : typeof patch}`,
    );
  }
  return patch;
}

/**
 * JSON merge patch (RFC 7396): a member set to null removes the field, an object merges into an object, any
 * other value replaces. Returns a new document; neither argument is changed. The result is checked against the
 * index schema by the caller before anything is written.
 */
export function applyMergePatch(target: Document, patch: Record<string, unknown>): Document {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    // Never assigned: `out.__proto__ = ...` would change the object's prototype. The same refusal as a document's.
    if (FORBIDDEN_KEYS.has(key))
      throw new SiftError('INVALID_DOCUMENT', `field "${key}": is a reserved name`, { field: key });
    if (value === null) delete out[key];
    else if (isObject(value))
      out[key] = applyMergePatch(isObject(out[key]) ? (out[key] as Document) : {}, value);
    else out[key] = value;
  }
  return out;
}
