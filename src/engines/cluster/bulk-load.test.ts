import { describe, expect, it } from 'vitest';
import { MERGED_SEGMENT_BYTES, mergeTarget } from './bulk-load.js';

describe('mergeTarget', () => {
  it('merges a shard to one segment up to the size the merge policy still merges', () => {
    expect(mergeTarget(0, 1)).toBe(1);
    expect(mergeTarget(180e6, 1)).toBe(1);
    expect(mergeTarget(MERGED_SEGMENT_BYTES, 1)).toBe(1);
  });
  it('keeps each merged segment under that size, per shard', () => {
    expect(mergeTarget(MERGED_SEGMENT_BYTES + 1, 1)).toBe(2);
    expect(mergeTarget(12 * MERGED_SEGMENT_BYTES, 3)).toBe(4);
    expect(mergeTarget(12 * MERGED_SEGMENT_BYTES, 0)).toBe(12);
  });
});
