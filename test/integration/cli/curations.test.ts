import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, sift, siftJson } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';

describe('sift index curations', { timeout: 120_000 }, () => {
  const data = tempDir();
  const dir = data.path;

  beforeAll(() => {
    expect(sift(dir, ['index', 'create', 'pkgs', '--schema', fixture('packages.schema.yaml')]).code).toBe(0);
    expect(sift(dir, ['import', fixture('packages.ndjson'), '--index', 'pkgs']).code).toBe(0);
  });
  afterAll(() => data.remove());

  it('shows the rules, replaces them from a file, and searches apply them', () => {
    expect(siftJson(dir, ['index', 'curations', 'pkgs'])).toEqual([]);
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, '- { query: React, pin: [{ id: lodash, position: 1 }], hide: [react-dom] }\n');
    const stored = [
      { query: 'react', match: 'exact', pin: [{ id: 'lodash', position: 1 }], hide: ['react-dom'] },
    ];
    expect(siftJson(dir, ['index', 'curations', 'pkgs', '--set', file])).toEqual(stored);
    expect(siftJson(dir, ['index', 'curations', 'pkgs'])).toEqual(stored);
    const res = siftJson<{ hits: { id: string }[]; total: number }>(dir, [
      'search',
      'react',
      '--index',
      'pkgs',
      '--json',
    ]);
    expect(res.hits.map((h) => h.id)).toEqual(['lodash', 'react']);
    expect(res.total).toBe(2);

    writeFileSync(file, '- { query: react, pin: [{ id: lodash, position: 0 }] }\n');
    const bad = sift(dir, ['index', 'curations', 'pkgs', '--set', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_CURATION');
    writeFileSync(file, '[]\n');
    expect(siftJson(dir, ['index', 'curations', 'pkgs', '--set', file])).toEqual([]);
  });
});
