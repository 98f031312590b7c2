import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { assertCompatible, parseSchema } from './validate.js';

const fields = { id: { type: 'keyword' }, body: { type: 'text' } };

describe('the analyzer of a schema', () => {
  it('is english when asked, and left out for the standard default so a schema reads back as written', () => {
    expect(parseSchema({ fields, analyzer: 'english' }).analyzer).toBe('english');
    expect(parseSchema({ fields, analyzer: 'standard' })).not.toHaveProperty('analyzer');
    expect(parseSchema({ fields })).not.toHaveProperty('analyzer');
  });

  it('refuses an analyzer Sift does not have, naming the choices', () => {
    for (const analyzer of ['klingon', 1, null, ''])
      expect(errorOf(() => parseSchema({ fields, analyzer }))).toMatchObject({
        code: 'INVALID_SCHEMA',
        message: expect.stringContaining('standard, english') as unknown,
      });
  });
});

describe('arrays and paths in a schema', () => {
  const base = { id: { type: 'keyword' }, body: { type: 'text' } };
  const parse = (extra: Record<string, unknown>, rest: Record<string, unknown> = {}) =>
    parseSchema({ fields: { ...base, ...extra }, ...rest });
  const messageOf = (extra: Record<string, unknown>, rest: Record<string, unknown> = {}) =>
    errorOf(() => parse(extra, rest)).message;

  it('marks a list field, and leaves the option out of single-valued ones', () => {
    const schema = parse({ tags: { type: 'keyword', array: true }, 'author.name': { type: 'keyword' } });
    expect(schema.fields.tags!.array).toBe(true);
    expect(schema.fields.body).not.toHaveProperty('array');
    expect(schema.fields['author.name']!.type).toBe('keyword');
  });

  it('refuses paths that cross a leaf, are too deep or malformed', () => {
    expect(messageOf({ author: { type: 'keyword' }, 'author.name': { type: 'keyword' } })).toContain(
      'is inside "author", which is declared as a keyword field',
    );
    expect(messageOf({ 'a.b.c.d.e': { type: 'keyword' } })).toContain('up to 4 such names joined by "."');
    expect(messageOf({ 'a..b': { type: 'keyword' } })).toContain('must match [a-z_]');
    expect(messageOf({ 'a.B': { type: 'keyword' } })).toContain('must match [a-z_]');
  });

  it('refuses a list where one value is needed', () => {
    expect(messageOf({ tags: { type: 'keyword', array: true, searchable: true } })).toContain(
      'a keyword array cannot be searchable',
    );
    expect(
      messageOf({ n: { type: 'integer', array: true } }, { ranking: { popularity: { field: 'n' } } }),
    ).toContain('popularity ranking needs a single-valued field');
    expect(messageOf({ s: { type: 'text', array: true } }, { suggest: { field: 's' } })).toContain(
      'suggest needs a single-valued field',
    );
    expect(
      errorOf(() => parseSchema({ id_field: 'a.id', fields: { ...base, 'a.id': { type: 'keyword' } } }))
        .message,
    ).toContain('must be a top-level field');
  });

  it('treats a change between one value and a list as a change of type', () => {
    const before = parse({ tags: { type: 'keyword' } });
    const after = parse({ tags: { type: 'keyword', array: true } });
    expect(errorOf(() => assertCompatible(before, after))).toMatchObject({
      code: 'SCHEMA_MISMATCH',
      message: 'field "tags": cannot change from a single keyword to an array of keyword; reindex instead',
    });
  });
});
