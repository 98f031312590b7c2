// @services elasticsearch
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImportSummary } from '../../../src/cli/commands/import.js';
import { fixture, sift } from '../../support/cli.js';
import { uniquePrefix } from '../../support/cluster.js';
import { serviceUrl } from '../../support/services.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * `sift import` on a cluster goes through the engine's bulk load (src/engines/cluster/bulk-load.ts): batches without
 * a refresh wait, one refresh at the end. What a user sees: every document stored, the summary right, and the
 * documents searchable as soon as the command returns.
 */
describe('sift import into Elasticsearch', { timeout: 120_000 }, () => {
  const data = tempDir();
  const url = serviceUrl('elasticsearch');
  const prefix = uniquePrefix('imp');
  const env = { SEARCH_ENGINE: 'elasticsearch', ELASTICSEARCH_URL: url, ELASTICSEARCH_INDEX_PREFIX: prefix };
  const run = (args: string[]) => {
    const r = sift(data.path, args, { env });
    if (r.code !== 0) throw new Error(`sift ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
    return r.stdout;
  };
  const count = async (q: string) => {
    const res = await fetch(`${url}/${prefix}pkgs/_count?q=${encodeURIComponent(q)}`);
    return ((await res.json()) as { count: number }).count;
  };

  afterAll(async () => {
    const found = await fetch(`${url}/_cat/indices/${prefix}*?format=json&h=index`);
    const names = ((await found.json()) as { index: string }[]).map((r) => r.index);
    if (names.length) await fetch(`${url}/${names.join(',')}`, { method: 'DELETE' });
    data.remove();
  });

  it('stores every batch and leaves the documents searchable when it returns, then updates a live index', async () => {
    run(['index', 'create', 'pkgs', '--schema', fixture('packages.schema.yaml')]);
    const file = join(data.path, 'many.ndjson');
    const line = (i: number, summary: string) =>
      JSON.stringify({ name: `pkg-${i}`, version: '1.0.0', downloads: i, summary });
    writeFileSync(file, Array.from({ length: 2500 }, (_, i) => line(i, `first load ${i}`)).join('\n'));
    const first = JSON.parse(
      run(['import', file, '--index', 'pkgs', '--batch', '400', '--json']),
    ) as ImportSummary;
    expect(first).toMatchObject({ indexed: 2500, created: 2500, updated: 0, failed: 0, load: 'batches' });
    expect(await count('*')).toBe(2500);

    writeFileSync(file, Array.from({ length: 600 }, (_, i) => line(i * 5, 'second load')).join('\n'));
    const second = JSON.parse(
      run(['import', file, '--index', 'pkgs', '--batch', '250', '--json']),
    ) as ImportSummary;
    expect(second).toMatchObject({ indexed: 600, created: 100, updated: 500, failed: 0 });
    expect(await count('*')).toBe(2600);
    expect(await count('summary:second')).toBe(600);
  });
});
