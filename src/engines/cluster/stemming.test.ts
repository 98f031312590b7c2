import { describe, expect, it } from 'vitest';
import { parseTextQuery } from '../../query/text-query.js';
import { parseSchema } from '../../schema/validate.js';
import { derivedShape, toSource } from './mapping.js';
import { analyzedText } from './stemming.js';

describe('the english analyzer on the clusters', () => {
  const fields = { id: { type: 'keyword' }, body: { type: 'text', searchable: true } };
  const english = parseSchema({ fields, analyzer: 'english' });
  const standard = parseSchema({ fields });

  it('indexes the stems of a searchable field, and the words as written under the standard analyzer', () => {
    const doc = { id: 'a', body: 'Running shoes, connected devices' };
    expect((toSource(english, 'a', doc)._sift as { t: unknown }).t).toEqual({
      body: 'run shoe connect devic',
    });
    expect((toSource(standard, 'a', doc)._sift as { t: unknown }).t).toEqual({
      body: 'running shoes connected devices',
    });
  });

  it('stems the words, phrases and exclusions of a query and leaves the exact-name text as typed', () => {
    const text = parseTextQuery('"running shoes" -connected Devices')!;
    const stemmed = analyzedText(english, text);
    expect(stemmed.must.map((c) => c.tokens)).toEqual([['run', 'shoe'], ['devic']]);
    expect(stemmed.mustNot.map((c) => c.tokens)).toEqual([['connect']]);
    expect(stemmed.normalized).toBe(text.normalized);
    expect(analyzedText(standard, text)).toBe(text);
  });

  it('re-derives the token fields when the analyzer changes', () => {
    expect(derivedShape(english)).not.toBe(derivedShape(standard));
    expect(derivedShape(parseSchema({ fields, analyzer: 'standard' }))).toBe(derivedShape(standard));
  });
});
