import { describe, expect, it } from 'vitest';
import { fuse, normaliseText } from './hybrid.js';
import { HYBRID_DEFAULTS } from './vector-request.js';

// Text candidates best first (scores of any scale) and kNN candidates (scores in [0, 1]).
const text = [
  { id: 'a', score: 10 },
  { id: 'b', score: 6 },
  { id: 'c', score: 2 },
];
const vector = [
  { id: 'b', score: 0.9 },
  { id: 'd', score: 0.8 },
];
const rounded = (list: { id: string; score: number }[]) =>
  list.map((r) => [r.id, Math.round(r.score * 1e6) / 1e6]);

describe('reciprocal rank fusion', () => {
  it('adds 1 / (rank_constant + rank) from each list a document is in', () => {
    const out = fuse(text, vector, { ...HYBRID_DEFAULTS, fusion: 'rrf', rankConstant: 60 });
    // b: 1/62 + 1/61; a: 1/61; d: 1/62; c: 1/63
    expect(rounded(out)).toEqual([
      ['b', 0.032522],
      ['a', 0.016393],
      ['d', 0.016129],
      ['c', 0.015873],
    ]);
  });

  it('uses positions only, and the rank constant given', () => {
    const out = fuse(text, vector, { ...HYBRID_DEFAULTS, fusion: 'rrf', rankConstant: 1 });
    // b: 1/3 + 1/2; a: 1/2; d: 1/3; c: 1/4
    expect(rounded(out)).toEqual([
      ['b', 0.833333],
      ['a', 0.5],
      ['d', 0.333333],
      ['c', 0.25],
    ]);
  });

  it('breaks ties by id', () => {
    const out = fuse([{ id: 'y', score: 3 }], [{ id: 'x', score: 0.1 }], {
      ...HYBRID_DEFAULTS,
      fusion: 'rrf',
    });
    expect(out.map((r) => r.id)).toEqual(['x', 'y']);
  });
});

describe('weighted fusion', () => {
  const weighted = (semanticRatio: number) =>
    rounded(fuse(text, vector, { ...HYBRID_DEFAULTS, fusion: 'weighted', semanticRatio }));

  it('is (1 - r) * min-max normalised text score + r * vector score; absent from a list adds 0', () => {
    // text norms: a 1, b 0.5, c 0. b: 0.5 * 0.5 + 0.5 * 0.9; a: 0.5 * 1; d: 0.5 * 0.8; c: 0
    expect(weighted(0.5)).toEqual([
      ['b', 0.7],
      ['a', 0.5],
      ['d', 0.4],
      ['c', 0],
    ]);
  });

  it('is the text ranking at ratio 0 and the vector ranking at ratio 1 (ties by id)', () => {
    expect(weighted(0)).toEqual([
      ['a', 1],
      ['b', 0.5],
      ['c', 0],
      ['d', 0],
    ]);
    expect(weighted(1)).toEqual([
      ['b', 0.9],
      ['d', 0.8],
      ['a', 0],
      ['c', 0],
    ]);
  });

  it('defaults to weighted with ratio 0.5', () => {
    expect(rounded(fuse(text, vector, HYBRID_DEFAULTS))).toEqual(weighted(0.5));
  });
});

describe('text score normalisation', () => {
  it('maps the best text candidate to 1 and the worst to 0, and equal scores all to 1', () => {
    expect([...normaliseText(text)]).toEqual([
      ['a', 1],
      ['b', 0.5],
      ['c', 0],
    ]);
    expect([
      ...normaliseText([
        { id: 'a', score: 4 },
        { id: 'b', score: 4 },
      ]),
    ]).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(normaliseText([]).size).toBe(0);
  });
});
