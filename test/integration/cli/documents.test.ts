import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, sift as run } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The engine deadline is raised: these searches check what the writes did, and a CLI process starting its reader
 * thread on a machine shared with other test runs can take longer than the default 10 s to answer the first one.
 */
const sift = (dir: string, args: string[]) => run(dir, args, { env: { ENGINE_TIMEOUT_MS: '120000' } });
function siftJson<T = unknown>(dir: string, args: string[]): T {
  const r = sift(dir, args);
  if (r.code !== 0) throw new Error(`sift ${args.join(' ')} exited ${r.code}\nstderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

describe('sift documents delete|update', { timeout: 300_000 }, () => {
  const data = tempDir();
  const dir = data.path;
  const ids = (filter: string) =>
    siftJson<{ hits: { id: string }[] }>(dir, ['search', '--index', 'pkgs', '--filter', filter, '--json'])
      .hits.map((h) => h.id)
      .sort();

  beforeAll(() => {
    expect(sift(dir, ['index', 'create', 'pkgs', '--schema', fixture('packages.schema.yaml')]).code).toBe(0);
    expect(sift(dir, ['import', fixture('packages.ndjson'), '--index', 'pkgs']).code).toBe(0);
  });
  afterAll(() => data.remove());

  it('counts on a dry run, refuses above the limit, then updates and deletes', () => {
    const util = ids('scope = "util"');
    expect(util.length).toBeGreaterThan(1);
    const dry = sift(dir, ['documents', 'delete', 'pkgs', '--filter', 'scope = "util"', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${util.length} documents would be deleted (dry run, nothing changed)`);
    expect(ids('scope = "util"')).toEqual(util);

    const refused = sift(dir, ['documents', 'delete', 'pkgs', '--filter', 'scope = "util"', '--limit', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('TOO_MANY_MATCHES');
    expect(ids('scope = "util"')).toEqual(util);

    expect(
      siftJson(dir, [
        'documents',
        'update',
        'pkgs',
        '--filter',
        'scope = "util"',
        '--set',
        '{"rating": 1.5}',
        '--json',
      ]),
    ).toEqual({ dry_run: false, matched: util.length, limit: 1000, updated: util.length });
    const lodash = siftJson<{ hits: { document: Record<string, unknown> }[] }>(dir, [
      'search',
      'lodash',
      '--index',
      'pkgs',
      '--fields',
      'name,rating,summary',
      '--json',
    ]).hits[0]!.document;
    expect(lodash).toMatchObject({ name: 'lodash', rating: 1.5, summary: 'Lodash modular utilities' });

    const bad = sift(dir, [
      'documents',
      'update',
      'pkgs',
      '--filter',
      'scope = "util"',
      '--set',
      '{"rating": "x"}',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_DOCUMENT');
    expect(bad.stderr).toContain('rating');

    expect(
      siftJson(dir, ['documents', 'delete', 'pkgs', '--filter', 'scope = "util"', '--json']),
    ).toMatchObject({ matched: util.length, deleted: util.length });
    expect(ids('scope = "util"')).toEqual([]);

    const everything = sift(dir, ['documents', 'delete', 'pkgs']);
    expect(everything.code).toBe(1);
    expect(everything.stderr).toContain('explicit limit');
  });
});
