import { describe, expect, it } from 'vitest';
import { bestCorrections, containing, corrections, known } from './typo.js';

/** A vocabulary as the engine holds it: sorted terms and their document counts. */
function vocab(words: Record<string, number>) {
  const terms = Object.keys(words).sort();
  return { terms, docs: Int32Array.from(terms, (t) => words[t]!), dataVersion: 0, loadedAt: 0 };
}

/** Optimal string alignment distance, the reference the trie walk must agree with. */
function osa(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

describe('typo corrections from the vocabulary', () => {
  const v = vocab({
    react: 900,
    reach: 50,
    reacts: 3,
    preact: 40,
    redact: 2,
    lodash: 700,
    express: 600,
    r: 1,
  });

  it('finds the words within the edit budget, keeping the first character', () => {
    expect(bestCorrections(v, 'reakt', 1).map((c) => c.term)).toEqual(['react']);
    expect(bestCorrections(v, 'lodsh', 1).map((c) => c.term)).toEqual(['lodash']);
    expect(bestCorrections(v, 'exprses', 2).map((c) => c.term)).toEqual(['express']);
    // "preact" is one edit from "react" but starts differently.
    expect(bestCorrections(v, 'react', 1).map((c) => c.term)).toEqual(['reach', 'reacts', 'redact']);
    expect(bestCorrections(v, 'xeact', 1)).toEqual([]);
  });

  it('orders corrections by distance, then by how many documents hold them, dropping rare ones', () => {
    // reacts (3) and redact (2) are held by fewer than 1/50 of react's 900 documents.
    expect(bestCorrections(v, 'reat', 2).map((c) => [c.term, c.distance])).toEqual([
      ['react', 1],
      ['reach', 2],
    ]);
    expect(bestCorrections(vocab({ reach: 5, reacts: 4 }), 'reat', 2).map((c) => c.term)).toEqual([
      'reach',
      'reacts',
    ]);
  });

  it('agrees with the edit distance computed directly, over a generated vocabulary', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const word = () =>
      Array.from({ length: 2 + Math.floor(rand() * 6) }, () => 'abcde'[Math.floor(rand() * 5)]).join('');
    const words: Record<string, number> = {};
    for (let i = 0; i < 400; i++) words[word()] = 1;
    const big = vocab(words);
    for (let i = 0; i < 60; i++) {
      const q = word();
      for (const k of [1, 2]) {
        const want = big.terms.filter((t) => t[0] === q[0] && osa(q, t) <= k).sort();
        expect(
          corrections(big, q, k)
            .map((c) => c.term)
            .sort(),
          `${q} within ${k}`,
        ).toEqual(want);
      }
    }
  });

  it('knows whole words and, for the word being typed, prefixes', () => {
    expect(known(v, 'react', false)).toBe(true);
    expect(known(v, 'reac', false)).toBe(false);
    expect(known(v, 'reac', true)).toBe(true);
    expect(known(v, 'zzz', true)).toBe(false);
  });
});

describe('CJK words inside the tokens of the index', () => {
  it('finds the longer words that hold a word, most documents first, never the word itself', () => {
    const v = vocab({ 天気: 5, 今日は天気がいい: 1, 東京の天気予報: 3, 東京: 2, react: 9 });
    expect(containing(v, '天気')).toEqual(['東京の天気予報', '今日は天気がいい']);
    expect(containing(v, '東京')).toEqual(['東京の天気予報']);
    expect(containing(v, '雨')).toEqual([]);
  });
});
