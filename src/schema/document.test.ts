import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { checkDocument, MAX_ARRAY_VALUES } from './document.js';
import { parseSchema } from './validate.js';

const schema = parseSchema({
  fields: {
    id: { type: 'keyword' },
    title: { type: 'text' },
    tags: { type: 'keyword', array: true, facet: true },
    ratings: { type: 'integer', array: true },
    released: { type: 'date', array: true },
    flags: { type: 'boolean', array: true },
    price: { type: 'float' },
    'author.name': { type: 'keyword', required: true },
    'author.born': { type: 'integer' },
    'authors.name': { type: 'keyword', array: true },
    'authors.role': { type: 'keyword' },
  },
});

const check = (doc: Record<string, unknown>) =>
  checkDocument(schema, { id: 'x', author: { name: 'A' }, ...doc }).document;
const messageOf = (doc: Record<string, unknown>) => errorOf(() => check(doc)).message;

describe('documents with arrays and objects', () => {
  it('keeps lists of each type, normalising dates', () => {
    expect(
      check({ tags: ['a', 'b'], ratings: [1, 2], released: ['2020-01-02'], flags: [true, false] }),
    ).toMatchObject({
      tags: ['a', 'b'],
      ratings: [1, 2],
      released: ['2020-01-02T00:00:00.000Z'],
      flags: [true, false],
    });
  });

  it('takes a single value where an array is declared as written, and an empty list as no value', () => {
    expect(check({ tags: 'a' }).tags).toBe('a');
    expect(check({ tags: [] })).not.toHaveProperty('tags');
  });

  it('refuses an array where one value is declared, naming the field', () => {
    expect(messageOf({ price: [1, 2] })).toBe(
      'field "price": expects a single float, got an array; declare it with "array": true to store several',
    );
  });

  it('names the element of the wrong type by its index', () => {
    expect(messageOf({ ratings: [1, 2.5] })).toContain('field "ratings[1]": expects an integer');
    expect(messageOf({ released: ['2020-01-01', 'soon'] })).toContain('field "released[1]"');
    expect(messageOf({ tags: ['a', null] })).toBe('field "tags": element 1 is null; leave it out instead');
    expect(messageOf({ tags: [['a']] })).toContain('element 0 is an array');
    expect(messageOf({ tags: Array.from({ length: MAX_ARRAY_VALUES + 1 }, () => 'a') })).toContain(
      `at most ${MAX_ARRAY_VALUES}`,
    );
    expect(errorOf(() => check({ ratings: ['x'] })).code).toBe('INVALID_DOCUMENT');
  });

  it('keeps nested objects along declared paths and refuses the rest', () => {
    expect(check({ author: { name: 'A', born: 1900 } }).author).toEqual({ name: 'A', born: 1900 });
    expect(messageOf({ author: { name: 'A', age: 3 } })).toBe(
      'field "author.age": is not declared in the index schema',
    );
    expect(messageOf({ author: 'A' })).toContain('field "author": is an object of the schema');
    expect(
      messageOf(JSON.parse('{"author": {"name": "A", "__proto__": 1}}') as Record<string, unknown>),
    ).toBe('field "author.__proto__": is a reserved name');
    expect(messageOf({ author: { born: 1 } })).toBe('field "author.name": is required');
    // One spelling: the clusters would read a dotted member name as a path, the embedded engine would not.
    expect(messageOf({ 'author.born': 1 })).toContain('a member name cannot hold "."');
  });

  it('flattens arrays of objects, whose members must be declared as arrays', () => {
    expect(check({ authors: [{ name: 'A' }, { name: 'B' }] }).authors).toEqual([
      { name: 'A' },
      { name: 'B' },
    ]);
    expect(messageOf({ authors: [{ role: 'x' }] })).toContain(
      'field "authors.role": is inside an array of objects',
    );
    expect(messageOf({ authors: ['A'] })).toBe('field "authors[0]": expects an object, got string');
  });
});
