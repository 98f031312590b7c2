import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sift, siftJson } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The CLI builds its service through the same composition root as the server, so the query limits of the
 * configuration hold in `sift search` as they do over HTTP (it once ignored MAX_FACETS and MAX_FACET_BUCKETS).
 */
describe('sift search honours the configured query limits', { timeout: 120_000 }, () => {
  const data = tempDir();
  const dir = data.path;

  beforeAll(() => {
    const schema = join(dir, 'two-facets.json');
    writeFileSync(
      schema,
      JSON.stringify({
        id_field: 'name',
        fields: {
          name: { type: 'keyword', searchable: true },
          scope: { type: 'keyword', facet: true },
          license: { type: 'keyword', facet: true },
        },
      }),
    );
    expect(sift(dir, ['index', 'create', 'pkgs', '--schema', schema]).code).toBe(0);
    const docs = [
      { name: 'a', scope: 'web', license: 'MIT' },
      { name: 'b', scope: 'cli', license: 'ISC' },
    ];
    const input = docs.map((d) => JSON.stringify(d)).join('\n');
    expect(sift(dir, ['import', '-', '--index', 'pkgs'], { input }).code).toBe(0);
  });
  afterAll(() => data.remove());

  it('refuses more facets than MAX_FACETS', () => {
    const args = ['search', '--index', 'pkgs', '--facets', 'scope,license', '--json'];
    // The default (16) allows both facets.
    const res = siftJson<{ facets: Record<string, unknown> }>(dir, args);
    expect(Object.keys(res.facets).sort()).toEqual(['license', 'scope']);

    const limited = sift(dir, args, { env: { MAX_FACETS: '1' } });
    expect(limited.code).toBe(1);
    expect(limited.stderr).toContain('error INVALID_FACET: facets: at most 1 facets per request');
  });

  it('refuses a facet size above MAX_FACET_BUCKETS', () => {
    // A facet's size is 10 unless asked otherwise.
    const limited = sift(dir, ['search', '--index', 'pkgs', '--facets', 'scope'], {
      env: { MAX_FACET_BUCKETS: '5' },
    });
    expect(limited.code).toBe(1);
    expect(limited.stderr).toContain('error INVALID_FACET: facets: size for "scope" must be 1-5');
  });
});
