import { describe, expect, it } from 'vitest';
import { applyMergePatch, checkPatch } from './merge-patch.js';

describe('applyMergePatch (RFC 7396)', () => {
  // The examples of RFC 7396, appendix A, that apply to objects.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('leaves its arguments unchanged', () => {
    const target = { a: 1, b: { c: 2 } };
    const patch = { a: null, b: { c: 3 } };
    applyMergePatch(target, patch);
    expect(target).toEqual({ a: 1, b: { c: 2 } });
    expect(patch).toEqual({ a: null, b: { c: 3 } });
  });

  it('refuses a patch that is not an object, and reserved names as a document would', () => {
    for (const bad of [null, [], 'x', 1, true]) {
      expect(() => checkPatch(bad)).toThrow(expect.objectContaining({ code: 'INVALID_PATCH' }));
    }
    const poisoned = JSON.parse('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    expect(() => applyMergePatch({}, poisoned)).toThrow(
      expect.objectContaining({ code: 'INVALID_DOCUMENT' }),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
