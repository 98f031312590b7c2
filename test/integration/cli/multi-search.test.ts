import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FederatedResults, MultiSearchResults } from '../../../src/query/multi-search.js';
import { fixture, sift as run } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';

// `sift multi-search`: searches from a file or stdin, a table per search or one merged list, each failing alone.

/** A CLI process on a machine busy with other test runs can take longer than the default deadline to answer. */
const sift = (dir: string, args: string[], input?: string) =>
  run(dir, args, { env: { ENGINE_TIMEOUT_MS: '120000' }, ...(input !== undefined ? { input } : {}) });

describe('sift multi-search', { timeout: 300_000 }, () => {
  const data = tempDir('sift-multi-search-');
  const dir = data.path;
  const searches = [
    { index: 'pkgs', q: 'react', size: 1 },
    { index: 'nope', q: 'x' },
    { index: 'pkgs', filter: 'scope = "util"', sort: 'name', facets: 'scope' },
  ];

  beforeAll(() => {
    expect(sift(dir, ['index', 'create', 'pkgs', '--schema', fixture('packages.schema.yaml')]).code).toBe(0);
    expect(sift(dir, ['import', fixture('packages.ndjson'), '--index', 'pkgs']).code).toBe(0);
  });
  afterAll(() => data.remove());

  it('prints a table per search from an NDJSON file, a failed search in its place, and exits 1', () => {
    const file = join(dir, 'searches.ndjson');
    writeFileSync(file, searches.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const r = sift(dir, ['multi-search', file]);
    expect(r.code, r.stderr).toBe(1);
    const [first, second, third] = r.stdout.split(/^search \d+: /m).slice(1);
    expect(first).toMatch(/^pkgs \(q "react"\)/);
    expect(first).toMatch(/│ 1 │ react +│/);
    expect(first).toContain('next page: --cursor');
    expect(second).toMatch(/^nope \(q "x"\)\nerror 404 INDEX_NOT_FOUND: index "nope" does not exist/);
    expect(third).toMatch(/^pkgs \(every document, filter scope = "util"\)/);
    expect(third).toMatch(/│ 1 │ left-pad +│[^\n]*\n│ 2 │ lodash +│/);
    expect(third).toContain('scope: core (2), util (2), web (1)'); // disjunctive, as every facet
    expect(r.stdout).toContain('3 searches, took');
  });

  it('answers a JSON body from stdin with --json as POST /api/multi-search does, exit 0 when all answer', () => {
    const body = JSON.stringify({ searches: [searches[0], searches[2]] });
    const r = sift(dir, ['multi-search', '--json'], body);
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as MultiSearchResults;
    expect(answer.results.map((x) => [x.index, x.status])).toEqual([
      ['pkgs', 200],
      ['pkgs', 200],
    ]);
    expect(answer.results.map((x) => ('hits' in x ? x.hits.map((h) => h.id) : null))).toEqual([
      ['react'],
      ['left-pad', 'lodash'],
    ]);
  });

  it('merges with --limit into one ranked list by weight, refusing what a federated search may not set', () => {
    const list = JSON.stringify([
      { index: 'pkgs', q: 'lodash', weight: 0.5 },
      { index: 'pkgs', q: 'express', weight: 2 },
      { index: 'pkgs', q: 'react', size: 3 },
    ]);
    const json = sift(dir, ['multi-search', '--limit', '5', '--json'], list);
    expect(json.code, json.stderr).toBe(1);
    const answer = JSON.parse(json.stdout) as FederatedResults;
    expect(answer.hits.map((h) => [h.id, h.score])).toEqual([
      ['express', 2],
      ['lodash', 0.5],
    ]);
    expect(answer.searches[2]).toMatchObject({ status: 400, error: { code: 'INVALID_REQUEST' } });
    expect(answer.partial).toBe(true);
    const table = sift(dir, ['multi-search', '--federate'], list);
    expect(table.stdout).toMatch(/│ 1 │ pkgs +│ express +│ +2\.000 │ +2 │/);
    expect(table.stdout).toContain('search 1: pkgs (q "lodash"): weight 0.5, total 1');
    expect(table.stdout).toContain('search 3: pkgs (q "react"): error 400 INVALID_REQUEST');
  });

  it('refuses empty input, a line that is not JSON and an unknown field with clear errors', () => {
    const empty = sift(dir, ['multi-search'], '  \n');
    expect([empty.code, empty.stderr.trim()]).toEqual([
      1,
      'error INVALID_REQUEST: no searches given: the input is empty',
    ]);
    const broken = sift(dir, ['multi-search'], '{"index":"pkgs"}\n{nope\n');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^error INVALID_JSON: line 2 is not valid JSON/);
    const unknown = sift(dir, ['multi-search', '--json'], '[{"index":"pkgs","colour":"red"}]');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      results: [{ status: 400, error: { code: 'INVALID_REQUEST' } }],
    });
  });
});
