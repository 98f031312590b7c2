import { describe, expect, it } from 'vitest';
import { fieldSpec } from '../../test/support/schema.js';
import { errorOf } from '../../test/support/errors.js';
import type { IndexSchema } from '../schema/types.js';
import { buildSearchRequest } from './request.js';
import { parseSearchFields, SEARCH_FIELDS_PATTERN, searchedFields } from './search-fields.js';

const schema: IndexSchema = {
  id_field: 'id',
  fields: {
    id: fieldSpec('keyword'),
    name: fieldSpec('keyword', { searchable: true, boost: 3 }),
    summary: fieldSpec('text', { searchable: true }),
    downloads: fieldSpec('integer'),
  },
  ranking: {},
};

describe('search_fields: the fields a request searches and their weights', () => {
  it('reads the text, list and map forms alike', () => {
    const want = [
      { field: 'name', boost: 3 },
      { field: 'summary', boost: 1 },
    ];
    expect(parseSearchFields('name^3, summary', schema)).toEqual(want);
    expect(parseSearchFields(['name^3', 'summary'], schema)).toEqual(want);
    expect(parseSearchFields({ name: 3, summary: 1 }, schema)).toEqual(want);
    expect(parseSearchFields('summary^0.5', schema)).toEqual([{ field: 'summary', boost: 0.5 }]);
    expect(parseSearchFields(undefined, schema)).toBeNull();
    // Empty, like the other list parameters: the default.
    expect(parseSearchFields('', schema)).toBeNull();
    expect(parseSearchFields([], schema)).toBeNull();
  });

  it('falls back to every searchable field with the schema boosts', () => {
    expect(searchedFields(schema, undefined)).toEqual([
      { field: 'name', boost: 3 },
      { field: 'summary', boost: 1 },
    ]);
  });

  it('refuses what the schema does not allow, naming the field', () => {
    for (const [raw, field] of [
      ['downloads', 'downloads'],
      ['nope', 'nope'],
      ['constructor', 'constructor'],
      ['name,name', 'name'],
      ['name^0', 'name'],
      ['name^1001', 'name'],
    ] as const) {
      const err = errorOf(() => parseSearchFields(raw, schema));
      expect(err).toMatchObject({ details: { field } });
      expect(err.message).toContain(field);
    }
    for (const [raw, code] of [
      ['downloads', 'INVALID_FIELD'],
      ['nope', 'INVALID_FIELD'],
      ['name,name', 'INVALID_FIELD'],
      ['name^0', 'INVALID_REQUEST'],
    ] as const)
      expect(errorOf(() => parseSearchFields(raw, schema)).code).toBe(code);
    for (const raw of ['name^', '^2', 'name^-1', 'name^x'])
      expect(errorOf(() => parseSearchFields(raw, schema))).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(errorOf(() => parseSearchFields({ name: -1 }, schema))).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('reaches the text query and the cursor fingerprint', () => {
    const plain = buildSearchRequest({ q: 'react' }, schema);
    const chosen = buildSearchRequest({ q: 'react', search_fields: 'summary^2' }, schema);
    expect(plain.request.text!.fields).toBeUndefined();
    expect(chosen.request.text!.fields).toEqual([{ field: 'summary', boost: 2 }]);
    expect(chosen.fingerprint).not.toBe(plain.fingerprint);
    // Without text there is nothing to search, but a bad field is still refused.
    expect(buildSearchRequest({ search_fields: 'name' }, schema).request.text).toBeNull();
    expect(errorOf(() => buildSearchRequest({ search_fields: 'downloads' }, schema))).toMatchObject({
      code: 'INVALID_FIELD',
    });
  });
});

describe('the OpenAPI pattern of search_fields', () => {
  const pattern = new RegExp(SEARCH_FIELDS_PATTERN);
  it('takes what the parser takes and states the weight bounds', () => {
    for (const ok of ['', 'name', 'name^3,summary', ' name^0.5 , summary^1000 ', 'a^999.99'])
      expect(pattern.test(ok), ok).toBe(true);
    for (const bad of ['name^0', 'name^1001', 'name^1000.5', 'name,', 'Name', 'name^', 'name^.5'])
      expect(pattern.test(bad), bad).toBe(false);
  });
});
