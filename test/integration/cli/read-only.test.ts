import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, sift } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';

/** Read-only commands never create files, and a missing index says which data directory was searched. */
describe('read-only CLI commands', { timeout: 120_000 }, () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => dir?.remove());

  const names = (path: string) => readdirSync(path).sort();
  const expectLocated = (stderr: string, dataDir: string) => {
    expect(stderr).toContain(`in data directory "${resolve(dataDir)}"`);
    expect(stderr).toContain('--data-dir');
    expect(stderr).toContain('DATA_DIR');
  };

  it('search against a data directory that does not exist creates nothing and names it', () => {
    const missing = join(dir.path, 'not-there');
    const r = sift(missing, ['search', 'dune', '--index', 'books']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error INDEX_NOT_FOUND: index "books" does not exist');
    expectLocated(r.stderr, missing);
    expect(existsSync(missing)).toBe(false);
  });

  it('search, index stats, index list, keys list and keys scoped on an empty data directory leave it empty', () => {
    const empty = join(dir.path, 'empty');
    mkdirSync(empty);
    const search = sift(empty, ['search', 'dune']);
    expect(search.code).toBe(1);
    expect(search.stderr).toContain('INDEX_NOT_FOUND');
    expectLocated(search.stderr, empty);
    const stats = sift(empty, ['index', 'stats', 'books']);
    expect(stats.code).toBe(1);
    expectLocated(stats.stderr, empty);
    const list = sift(empty, ['index', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual({ indexes: [] });
    expect(sift(empty, ['keys', 'list', '--json']).code).toBe(0);
    const scoped = sift(empty, ['keys', 'scoped', '--parent', 'no-such-key', '--expires', '1h']);
    expect(scoped.code).toBe(1);
    expect(scoped.stderr).toContain('KEY_NOT_FOUND');
    expect(names(empty)).toEqual([]);
  });

  it('an analytics report on a data directory with nothing recorded is empty and creates nothing', () => {
    const empty = join(dir.path, 'no-analytics');
    mkdirSync(empty);
    const r = sift(empty, ['analytics', 'top', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).queries).toEqual([]);
    expect(names(empty)).toEqual([]);
  });

  it('search for a missing index in a data directory with other indexes names the directory, adds no file', () => {
    const data = join(dir.path, 'with-data');
    expect(sift(data, ['index', 'create', 'pkgs', '--schema', fixture('packages.schema.yaml')]).code).toBe(0);
    const before = names(data);
    const r = sift(data, ['search', 'dune', '--index', 'books']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error INDEX_NOT_FOUND: index "books" does not exist');
    expectLocated(r.stderr, data);
    expect(names(data)).toEqual(before);
  });
});
