import { describe, expect, it } from 'vitest';
import { EXPIRY_PATTERN, parseExpiry } from '../auth/expiry.js';
import { checkId } from '../schema/document.js';
import { checkIndexName } from '../schema/index-name.js';
import { DisplayName, DocumentId, IndexName, URL_TEXT } from './schemas.js';

/** The patterns the OpenAPI document states agree with the checks in the code, case by case. */

const matches = (pattern: string, value: string): boolean => new RegExp(pattern, 'u').test(value);
const accepts = (check: () => unknown): boolean => {
  try {
    check();
    return true;
  } catch {
    return false;
  }
};

describe('route schema patterns', () => {
  it('index names: the pattern is the check', () => {
    const pattern = IndexName().pattern!;
    for (const name of [
      'books',
      'a',
      '0-x_y',
      'a'.repeat(64),
      'a'.repeat(65),
      '-a',
      '_a',
      'Books',
      'a.b',
      '',
      'é',
    ])
      expect(matches(pattern, name), name).toBe(accepts(() => checkIndexName(name)));
  });

  it('document ids: every id the pattern accepts is a valid id, counted in characters', () => {
    const pattern = DocumentId.pattern!;
    const astral = '\u{1F600}';
    for (const id of ['x', '@scope/pkg', 'a b', 'x'.repeat(512), astral.repeat(512), 'é'.repeat(300)]) {
      expect(matches(pattern, id), id).toBe(true);
      expect(
        accepts(() => checkId(id)),
        id,
      ).toBe(true);
    }
    for (const id of ['', 'x'.repeat(513), astral.repeat(513), 'a\u0000b', 'a\u007fb']) {
      expect(matches(pattern, id), id).toBe(false);
      expect(
        accepts(() => checkId(id)),
        id,
      ).toBe(false);
    }
    // Tab, newline and carriage return are valid in a body's id field; a path refuses every control character.
    expect(matches(pattern, 'a\tb')).toBe(false);
  });

  it('key expiries: whatever the pattern accepts, parseExpiry reads', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const good = ['90m', '8h', '30d', '2w', '1s', '999999W', '2030-01-31', '2030-02-31', '2030-01-31T12:00'];
    good.push('2030-01-31T12:00:59.5Z', '2030-01-31T23:59:59+05:30');
    for (const text of good) {
      expect(matches(EXPIRY_PATTERN, text), text).toBe(true);
      expect(parseExpiry(text, 'expires', now), text).toBeGreaterThan(now);
    }
    for (const text of ['', '8', 'h', '1 h', '1y', '2030-13-01', '2030-1-1', '2030-01-31T25:00', 'tomorrow'])
      expect(matches(EXPIRY_PATTERN, text), text).toBe(false);
  });

  it('display names: something other than white space, no control characters', () => {
    const pattern = DisplayName(200).pattern!;
    for (const name of ['ci', ' ci ', 'a b', '\u00e9'])
      expect(matches(pattern, name), JSON.stringify(name)).toBe(true);
    for (const name of ['', ' ', '\u00a0\u3000', '\ufeff', 'a\u0001', 'a\tb'])
      expect(matches(pattern, name), JSON.stringify(name)).toBe(false);
  });

  it('URL text excludes exactly the characters the raw-URL check refuses', () => {
    expect(matches(URL_TEXT, 'dune -messiah "a b" é')).toBe(true);
    for (let c = 0; c < 0x20; c++) expect(matches(URL_TEXT, `a${String.fromCharCode(c)}`)).toBe(false);
    expect(matches(URL_TEXT, 'a\u007f')).toBe(false);
  });
});
