import { describe, expect, it } from 'vitest';
import { fieldSpec } from '../../test/support/schema.js';
import type { IndexSchema } from '../schema/types.js';
import { parseSchema } from '../schema/validate.js';
import { applyRelevance, correctText, suggestionEdits, typosFor } from './relevance.js';
import { buildSearchRequest } from './request.js';
import { parseTextQuery } from './text-query.js';

const schema = (extra: Partial<IndexSchema> = {}): IndexSchema => ({
  id_field: 'id',
  fields: { id: fieldSpec('keyword'), title: fieldSpec('text', { searchable: true }) },
  ranking: {},
  ...extra,
});
const english = { stop_words: { lists: ['english'], words: [] } };

describe('relevance settings applied to a query', () => {
  it('allows one typo from 5 characters and two from 9, none in words with digits', () => {
    const sizes = { one_typo: 5, two_typos: 9 };
    expect(['rect', 'reakt', 'expresss', 'typescrpt', 'v1234567890'].map((w) => typosFor(w, sizes))).toEqual([
      0, 1, 1, 2, 0,
    ]);
    const text = applyRelevance(parseTextQuery('reakt "user interfce" typescrpt'), schema(), {
      typos: true,
    })!;
    expect(text.must.map((c) => c.typos ?? 0)).toEqual([1, 0, 2]);
  });

  it('looks for a CJK word inside longer tokens, as typed, in words and exclusions', () => {
    const text = applyRelevance(parseTextQuery('天気 react -東京'), schema(), { typos: true })!;
    expect(text.must.map((c) => [c.infix ?? false, c.typos ?? 0])).toEqual([
      [true, 0],
      [false, 1],
    ]);
    expect(text.mustNot[0]!.infix).toBe(true);
    // A quoted phrase is matched as written.
    expect(applyRelevance(parseTextQuery('"天気 予報"'), schema(), { typos: true })!.must[0]!.infix).toBe(
      undefined,
    );
  });

  it('turns typos off for the request or the index', () => {
    const q = parseTextQuery('reakt');
    expect(applyRelevance(q, schema(), { typos: false })!.must[0]!.typos).toBeUndefined();
    const off = schema({
      typo_tolerance: { enabled: false, min_word_size: { one_typo: 5, two_typos: 9 }, disable_on_fields: [] },
    });
    expect(applyRelevance(q, off, { typos: true })!.must[0]!.typos).toBeUndefined();
    expect(
      buildSearchRequest({ q: 'reakt', typo: 'false' }, schema()).request.text!.must[0]!.typos,
    ).toBeUndefined();
    expect(() => buildSearchRequest({ q: 'reakt', typo: 'maybe' }, schema())).toThrow(
      /typo must be true or false/,
    );
  });

  it('drops stop words from what must match, keeps them in phrases, exclusions and stop-word-only queries', () => {
    const s = schema(english);
    const the = applyRelevance(parseTextQuery('the react'), s, { typos: false })!;
    expect(the.must.map((c) => c.tokens)).toEqual([['react']]);
    expect(the.normalized).toBe('react');
    expect(
      applyRelevance(parseTextQuery('"the who" -the'), s, { typos: false })!.must.map((c) => c.tokens),
    ).toEqual([['the', 'who']]);
    expect(applyRelevance(parseTextQuery('to be or not'), s, { typos: false })!.must).toHaveLength(4);
    // Without a list nothing is dropped.
    expect(applyRelevance(parseTextQuery('the react'), schema(), { typos: false })!.must).toHaveLength(2);
  });

  it('gives words their synonyms: multi-way, one-way, the longest run of words first, not inside phrases', () => {
    const s = schema({
      synonyms: [
        { words: ['js', 'javascript'] },
        { from: 'k8s', to: ['kubernetes'] },
        { words: ['ny', 'new york'] },
      ],
    });
    const expand = (q: string) =>
      applyRelevance(parseTextQuery(q), s, { typos: true })!.must.map((c) => [
        c.tokens.join(' '),
        c.synonyms,
      ]);
    expect(expand('js ')).toEqual([['js', [['javascript']]]]);
    expect(expand('javascript ')).toEqual([['javascript', [['js']]]]);
    expect(expand('k8s ')).toEqual([['k8s', [['kubernetes']]]]);
    expect(expand('kubernetes ')).toEqual([['kubernetes', undefined]]);
    expect(expand('pizza new york ')).toEqual([
      ['pizza', undefined],
      ['new york', [['ny']]],
    ]);
    expect(expand('"new york"')).toEqual([['new york', undefined]]);
    // A word with synonyms is not also corrected.
    expect(applyRelevance(parseTextQuery('javascript '), s, { typos: true })!.must[0]!.typos).toBeUndefined();
  });

  it('builds the corrected query to offer, whole words only', () => {
    const text = parseTextQuery('reakt reaktor reakt')!;
    expect(correctText(text, new Map([['reakt', 'react']]))!.q).toBe('react reaktor react');
    expect(correctText(text, new Map())).toBeNull();
    expect([
      suggestionEdits('ab'),
      suggestionEdits('vuw'),
      suggestionEdits('expresss'),
      suggestionEdits('v123'),
    ]).toEqual([0, 1, 2, 0]);
  });

  it('reads the settings from a schema and refuses malformed ones with INVALID_SETTINGS', () => {
    const base = { id_field: 'id', fields: { id: { type: 'keyword' }, title: { type: 'text' } } };
    expect(parseSchema({ ...base, stop_words: { lists: ['english'] } }).stop_words).toEqual({
      lists: ['english'],
      words: [],
    });
    expect(parseSchema(base).typo_tolerance).toBeUndefined();
    for (const bad of [
      { typo_tolerance: { enabled: 'yes' } },
      { typo_tolerance: { min_word_size: { one_typo: 0 } } },
      { typo_tolerance: { min_word_size: { one_typo: 6, two_typos: 5 } } },
      { typo_tolerance: { disable_on_fields: ['nope'] } },
      { typo_tolerance: { fuzzy: true } },
      { stop_words: ['the'] },
      { stop_words: { lists: ['klingon'] } },
      { stop_words: { words: ['bell\u0007'] } },
    ]) {
      expect(() => parseSchema({ ...base, ...bad }), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_SETTINGS' }),
      );
    }
  });
});
