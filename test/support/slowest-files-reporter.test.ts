import { describe, expect, it } from 'vitest';
import { formatDuration, formatSlowest, slowest } from './slowest-files-reporter.js';

describe('slowest test files report', () => {
  const files = Array.from({ length: 12 }, (_, i) => ({ file: `test/f${i}.test.ts`, ms: i * 1_000 }));

  it('keeps the ten longest, longest first, ties by name', () => {
    const top = slowest([...files, { file: 'test/a.test.ts', ms: 11_000 }]);
    expect(top).toHaveLength(10);
    expect(top.slice(0, 3).map((f) => f.file)).toEqual([
      'test/a.test.ts',
      'test/f11.test.ts',
      'test/f10.test.ts',
    ]);
  });

  it('formats milliseconds, seconds and minutes', () => {
    expect(formatDuration(812.4)).toBe('812 ms');
    expect(formatDuration(41_260)).toBe('41.3 s');
    expect(formatDuration(812_400)).toBe('13 min 32 s');
  });

  it('prints one aligned line per file under a heading naming how many ran', () => {
    expect(formatSlowest(files, 2).split('\n')).toEqual([
      'Slowest test files (2 of 12):',
      '  11.0 s  test/f11.test.ts',
      '  10.0 s  test/f10.test.ts',
    ]);
    expect(formatSlowest([])).toBe('');
  });
});
