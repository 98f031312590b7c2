import { describe, expect, it } from 'vitest';
import { IdFingerprints } from './id-fingerprints.js';

const ids = (from: number, n: number, prefix = 'pkg-') =>
  Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);

describe('IdFingerprints', () => {
  it('holds many distinct ids across calls, growing its table', () => {
    const set = new IdFingerprints(1 << 20, 4);
    for (let k = 0; k < 50; k++) expect(set.addAll(ids(k * 4000, 4000))).toBe(true);
    expect(set.size).toBe(200_000);
  });

  it('says "maybe" for an id added in an earlier call', () => {
    const set = new IdFingerprints();
    expect(set.addAll(ids(0, 1000))).toBe(true);
    expect(set.addAll(['new-1', 'pkg-517', 'new-2'])).toBe(false);
  });

  it('says "maybe" for an id repeated within one call', () => {
    expect(new IdFingerprints().addAll(['a', 'b', 'c', 'b'])).toBe(false);
  });

  it('tells apart ids that differ only in case, order or a trailing character', () => {
    expect(new IdFingerprints().addAll(['ab', 'ba', 'Ab', 'ab ', 'a', 'b', '', 'é', 'e\u0301'])).toBe(true);
  });

  it('refuses a call that would pass its maximum, before adding any of it', () => {
    const set = new IdFingerprints(10);
    expect(set.addAll(ids(0, 8))).toBe(true);
    expect(set.addAll(ids(8, 3))).toBe(false);
    expect(set.size).toBe(8);
  });
});
