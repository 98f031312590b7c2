import { describe, expect, it } from 'vitest';
import { BoundedMemo } from './bounded-memo.js';

describe('bounded memo', () => {
  it('answers what was set, and nothing for what was not', () => {
    const memo = new BoundedMemo<number>(10);
    memo.set('a', 1);
    expect(memo.get('a')).toBe(1);
    expect(memo.get('b')).toBeUndefined();
  });

  it('never holds more than its bound, however many keys pass through', () => {
    const memo = new BoundedMemo<number>(100);
    for (let i = 0; i < 10_000; i++) memo.set(`k${i}`, i);
    expect(memo.size).toBeLessThanOrEqual(100);
    expect(memo.get('k9999')).toBe(9999);
    expect(memo.get('k0')).toBeUndefined();
  });

  it('keeps a key that is still asked for while new keys stream past', () => {
    const memo = new BoundedMemo<string>(10);
    memo.set('hot', 'kept');
    for (let i = 0; i < 1000; i++) {
      memo.set(`cold${i}`, 'x');
      expect(memo.get('hot')).toBe('kept');
    }
    expect(memo.size).toBeLessThanOrEqual(10);
  });
});
