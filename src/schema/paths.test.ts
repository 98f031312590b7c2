import { describe, expect, it } from 'vitest';
import { mapLeaves, project, topLevelNames, valuesAt } from './paths.js';

const doc = {
  id: 'b1',
  tags: ['a', 'b'],
  author: { name: 'Pratchett', born: 1948 },
  authors: [
    { name: 'Pratchett', role: 'writer' },
    { name: 'Kidby', role: 'illustrator', tags: ['x', 'y'] },
  ],
  nothing: null,
};

describe('dotted paths over documents', () => {
  it('reads every value at a path, flattening lists and arrays of objects', () => {
    expect(valuesAt(doc, 'id')).toEqual(['b1']);
    expect(valuesAt(doc, 'tags')).toEqual(['a', 'b']);
    expect(valuesAt(doc, 'author.name')).toEqual(['Pratchett']);
    expect(valuesAt(doc, 'authors.name')).toEqual(['Pratchett', 'Kidby']);
    expect(valuesAt(doc, 'authors.tags')).toEqual(['x', 'y']);
    expect(valuesAt(doc, 'nothing')).toEqual([]);
    expect(valuesAt(doc, 'author.missing')).toEqual([]);
    expect(valuesAt(doc, 'id.deeper')).toEqual([]);
    expect(valuesAt(doc, 'constructor')).toEqual([]);
  });

  it('projects the nested shape of the paths asked for', () => {
    expect(project(doc, ['id', 'author.name'])).toEqual({ id: 'b1', author: { name: 'Pratchett' } });
    expect(project(doc, ['authors.role'])).toEqual({
      authors: [{ role: 'writer' }, { role: 'illustrator' }],
    });
    expect(project(doc, ['author', 'author.name'])).toEqual({ author: doc.author });
    expect(project(doc, ['missing.x', 'tags.x'])).toEqual({});
  });

  it('maps leaves without changing the input, through arrays of objects', () => {
    const before = JSON.stringify(doc);
    const out = mapLeaves(doc, ['author.born', 'authors.name', 'missing'], (v) =>
      typeof v === 'number' ? v + 1 : String(v).toUpperCase(),
    );
    expect(out.author).toEqual({ name: 'Pratchett', born: 1949 });
    expect((out.authors as { name: string }[]).map((a) => a.name)).toEqual(['PRATCHETT', 'KIDBY']);
    expect(out).not.toHaveProperty('missing');
    expect(JSON.stringify(doc)).toBe(before);
  });

  it('names the top-level members of a set of paths', () => {
    expect([...topLevelNames({ id: 1, 'author.name': 1, 'author.born': 1, 'a.b.c': 1 })]).toEqual([
      'id',
      'author',
      'a',
    ]);
  });
});
