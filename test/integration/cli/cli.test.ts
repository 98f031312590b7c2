import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportSummary } from '../../../src/cli/commands/import.js';
import type { SiftError } from '../../../src/errors.js';
import { parseNdjsonLine } from '../../../src/ingest/json.js';
import { fixture, sift, siftJson } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';

interface IndexStats {
  name: string;
  documents: number;
  generation: number;
  schema: { id_field: string; fields: Record<string, { type: string; boost: number; facet: boolean }> };
}
interface SearchJson {
  hits: { id: string; score: number | null; document: Record<string, unknown> }[];
  total: number;
  facets: Record<string, { buckets?: { value: string; count: number }[] }>;
  took_ms: number;
}

const SCHEMA = fixture('packages.schema.yaml');
const docCount = (dir: string, index: string) =>
  siftJson<IndexStats>(dir, ['index', 'stats', index, '--json']).documents;

describe('sift CLI', { timeout: 120_000 }, () => {
  const data = tempDir();
  const dir = data.path;

  beforeAll(() => {
    const r = sift(dir, ['index', 'create', 'pkgs', '--schema', SCHEMA]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created index "pkgs"');
  });
  afterAll(() => data.remove());

  it('imports NDJSON (blank lines skipped) and reports a summary', () => {
    const s = siftJson<ImportSummary>(dir, [
      'import',
      fixture('packages.ndjson'),
      '--index',
      'pkgs',
      '--json',
    ]);
    expect(s).toMatchObject({
      index: 'pkgs',
      format: 'ndjson',
      gzip: false,
      indexed: 5,
      created: 5,
      updated: 0,
      failed: 0,
      failures: [],
    });
    expect(s.seconds).toBeGreaterThanOrEqual(0);
    expect(docCount(dir, 'pkgs')).toBe(5);
  });

  it('re-importing the same file updates in place: the document count does not change', () => {
    const s = siftJson<ImportSummary>(dir, [
      'import',
      fixture('packages.ndjson'),
      '--index',
      'pkgs',
      '--json',
      '--batch',
      '2',
    ]);
    expect(s).toMatchObject({ indexed: 5, created: 0, updated: 5, failed: 0 });
    expect(docCount(dir, 'pkgs')).toBe(5);
  });

  it('imports a JSON array', () => {
    const s = siftJson<ImportSummary>(dir, ['import', fixture('packages.json'), '--index', 'pkgs', '--json']);
    expect(s).toMatchObject({ format: 'json', indexed: 3, failed: 0 });
    expect(docCount(dir, 'pkgs')).toBe(8);
  });

  it('imports CSV, converting cells to the schema types and omitting empty cells', () => {
    const s = siftJson<ImportSummary>(dir, ['import', fixture('packages.csv'), '--index', 'pkgs', '--json']);
    expect(s).toMatchObject({ format: 'csv', indexed: 3, failed: 0 });
    const res = siftJson<SearchJson>(dir, [
      'search',
      '--index',
      'pkgs',
      '--filter',
      'scope = test',
      '--sort',
      'name',
      '--json',
    ]);
    expect(res.hits.map((h) => h.id)).toEqual(['jest', 'mocha', 'vitest']);
    const [jest, mocha, vitest] = res.hits.map((h) => h.document);
    expect(vitest).toMatchObject({
      downloads: 8000000,
      rating: 4.8,
      deprecated: false,
      summary: 'Next generation testing framework, powered by Vite',
    });
    expect(jest).toMatchObject({ downloads: 20000000, deprecated: false });
    expect(jest).not.toHaveProperty('rating');
    expect(mocha).toMatchObject({ rating: 3.9 });
    expect(mocha).not.toHaveProperty('deprecated');
  });

  it('imports CSV with CRLF line endings', () => {
    const s = siftJson<ImportSummary>(dir, [
      'import',
      fixture('packages-crlf.csv'),
      '--index',
      'pkgs',
      '--json',
    ]);
    expect(s).toMatchObject({ indexed: 1, failed: 0 });
    const res = siftJson<SearchJson>(dir, [
      'search',
      '--index',
      'pkgs',
      '--filter',
      'scope = tooling',
      '--json',
    ]);
    expect(res.hits[0]?.document).toMatchObject({
      name: 'tsx',
      summary: 'TypeScript execute',
      downloads: 5000000,
    });
  });

  it('imports gzipped NDJSON and creates a missing index from --schema', () => {
    const gz = join(dir, 'packages.ndjson.gz');
    writeFileSync(gz, gzipSync(readFileSync(fixture('packages.ndjson'))));
    const s = siftJson<ImportSummary>(dir, ['import', gz, '--index', 'gz', '--schema', SCHEMA, '--json']);
    expect(s).toMatchObject({ index: 'gz', format: 'ndjson', gzip: true, indexed: 5, failed: 0 });
    expect(docCount(dir, 'gz')).toBe(5);
  });

  it('imports from stdin, guessing the format from the first byte', () => {
    const ndjson =
      '{"name":"stdin-a","summary":"from standard input"}\n{"name":"stdin-b","summary":"also stdin"}\n';
    expect(
      siftJson<ImportSummary>(dir, ['import', '-', '--index', 'stdin', '--schema', SCHEMA, '--json'], {
        input: ndjson,
      }),
    ).toMatchObject({
      format: 'ndjson',
      indexed: 2,
    });
    const array = '  [{"name":"stdin-c","downloads":3}]';
    expect(
      siftJson<ImportSummary>(dir, ['import', '-', '--index', 'stdin', '--json'], { input: array }),
    ).toMatchObject({ format: 'json', indexed: 1 });
    const csv = 'name,downloads,deprecated\nstdin-d,4,yes\n';
    expect(
      siftJson<ImportSummary>(dir, ['import', '-', '--index', 'stdin', '--json'], { input: csv }),
    ).toMatchObject({ format: 'csv', indexed: 1 });
    const gz = gzipSync('{"name":"stdin-e"}\n');
    expect(
      siftJson<ImportSummary>(dir, ['import', '-', '--index', 'stdin', '--json'], { input: gz }),
    ).toMatchObject({ gzip: true, indexed: 1 });
    expect(docCount(dir, 'stdin')).toBe(5);
    const d = siftJson<SearchJson>(dir, ['search', 'stdin-d', '--index', 'stdin', '--json']).hits[0]
      ?.document;
    expect(d).toMatchObject({ name: 'stdin-d', downloads: 4, deprecated: true });
  });

  it('stores the good documents of a partly bad NDJSON file, lists the failures by line and exits 1', () => {
    const r = sift(dir, ['import', fixture('bad.ndjson'), '--index', 'bad', '--schema', SCHEMA, '--json']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as ImportSummary;
    expect(s).toMatchObject({ indexed: 3, failed: 4 });
    expect(s.failures.map((f) => [f.line, f.code])).toEqual([
      [2, 'INVALID_JSON'],
      [3, 'INVALID_DOCUMENT'],
      [5, 'INVALID_DOCUMENT'],
      [6, 'INVALID_DOCUMENT'],
    ]);
    expect(s.failures[1]).toMatchObject({ id: 'bad-downloads' });
    expect(s.failures[1]?.message).toContain('downloads');
    expect(s.failures[2]?.message).toContain('colour');
    expect(docCount(dir, 'bad')).toBe(3);

    // The readable summary names the counts and the failing lines.
    const human = sift(dir, ['import', fixture('bad.ndjson'), '--index', 'bad']);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/index "bad": 3 indexed \(0 created, 3 updated\), 4 failed in /);
    expect(human.stdout).toContain('docs/s');
    expect(human.stdout).toMatch(/line 2: INVALID_JSON/);
    expect(human.stdout).toMatch(/line 3 \(id "bad-downloads"\): INVALID_DOCUMENT .*downloads/);
    expect(docCount(dir, 'bad')).toBe(3);
  });

  it("refuses a __proto__ key and deep nesting in NDJSON with the HTTP batch route's rule, and stores the rest", () => {
    const lines = [
      '{"name":"poisoned","__proto__":{"polluted":true}}',
      '{"name":"deep","x":' + '{"a":'.repeat(70) + '1' + '}'.repeat(71),
      '{"name":"clean","downloads":1}',
    ];
    const r = sift(dir, ['import', '-', '--index', 'guarded', '--schema', SCHEMA, '--json'], {
      input: lines.join('\n') + '\n',
    });
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as ImportSummary;
    expect(s).toMatchObject({ format: 'ndjson', indexed: 1, failed: 2 });
    // The same words the HTTP route gives for the same lines: one rule (src/ingest/json.ts) for both.
    const http = (n: number) => (parseNdjsonLine(lines[n - 1]!, n) as SiftError).message;
    expect(s.failures.map((f) => [f.line, f.code, f.message])).toEqual([
      [1, 'INVALID_JSON', http(1)],
      [2, 'INVALID_JSON', http(2)],
    ]);
    expect(s.failures[0]?.message).toContain('__proto__');
    expect(s.failures[1]?.message).toContain('nesting');
    expect(docCount(dir, 'guarded')).toBe(1);
    // The other tests share the data directory and list its indexes.
    expect(sift(dir, ['index', 'drop', 'guarded']).code).toBe(0);
  });

  it('reports bad CSV rows by line and stores the rest', () => {
    const r = sift(dir, ['import', fixture('bad.csv'), '--index', 'bad', '--json']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as ImportSummary;
    expect(s).toMatchObject({ format: 'csv', indexed: 2, failed: 2 });
    expect(s.failures.map((f) => f.line)).toEqual([3, 4]);
    expect(s.failures[1]?.message).toContain('header has 5 columns');
  });

  it('stops at broken CSV quoting, keeping the rows before it', () => {
    const csv = 'name,summary\nquote-ok,fine\nquote-bad,"oops"x\nquote-after,never read\n';
    const r = sift(dir, ['import', '-', '--index', 'bad', '--format', 'csv', '--json'], { input: csv });
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as ImportSummary & { stopped_at?: { line?: number; message: string } };
    expect(s).toMatchObject({ indexed: 1, failed: 1 });
    expect(s.stopped_at?.line).toBe(3);
    expect(s.stopped_at?.message).toContain('Invalid Closing Quote');
  });

  it('keeps the documents before the break of a truncated gzip file', () => {
    const lines = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({ name: `gz-${i}`, summary: `document ${i} ${'x'.repeat(i % 97)}` }),
    );
    const gz = gzipSync(lines.join('\n') + '\n');
    const r = sift(dir, ['import', '-', '--index', 'bad', '--json'], {
      input: gz.subarray(0, Math.floor(gz.length / 2)),
    });
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as ImportSummary & { stopped_at?: { message: string } };
    expect(s.gzip).toBe(true);
    expect(s.indexed).toBeGreaterThan(0);
    expect(s.indexed).toBeLessThan(3000);
    expect(s.stopped_at?.message).toContain('gzip');
  });

  it('lists only the first 10 failures', () => {
    const input = Array.from({ length: 25 }, (_, i) =>
      JSON.stringify({ name: `many-${i}`, downloads: 'not a number' }),
    ).join('\n');
    const r = sift(dir, ['import', '-', '--index', 'bad'], { input });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('first 10 of 25 failures:');
    expect(r.stdout.match(/^ {2}line \d+/gm)).toHaveLength(10);
  });

  it('refuses to import into a missing index without --schema', () => {
    const r = sift(dir, ['import', fixture('packages.ndjson'), '--index', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error INDEX_NOT_FOUND');
    expect(r.stderr).toContain('--schema');
  });

  it('reports a missing input file', () => {
    const r = sift(dir, ['import', join(dir, 'missing.ndjson'), '--index', 'pkgs']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*missing\.ndjson/);
  });

  it('search --json returns the service response', () => {
    const res = siftJson<SearchJson>(dir, [
      'search',
      'react',
      '--index',
      'pkgs',
      '--facets',
      'scope',
      '--json',
    ]);
    expect(res.hits.map((h) => h.id)).toContain('react');
    expect(res.hits.map((h) => h.id)).toContain('react-dom');
    expect(res.hits[0]?.id).toBe('react');
    expect(typeof res.hits[0]?.score).toBe('number');
    expect(res.total).toBe(2);
    expect(res.facets.scope?.buckets).toEqual([{ value: 'core', count: 2 }]);
    expect(typeof res.took_ms).toBe('number');
    // Facets are computed only when asked for.
    expect(siftJson<SearchJson>(dir, ['search', 'react', '--index', 'pkgs', '--json']).facets).toEqual({});

    const sorted = siftJson<SearchJson>(dir, [
      'search',
      '--index',
      'pkgs',
      '--sort',
      '-downloads',
      '--size',
      '2',
      '--filter',
      'scope = web',
      '--json',
    ]);
    expect(sorted.hits.map((h) => h.id)).toEqual(['express', 'fastify']);
    expect(sorted.total).toBe(3);
  });

  it('search --search-fields chooses the fields searched and their weights, and refuses others', () => {
    const ids = (...args: string[]) =>
      siftJson<SearchJson>(dir, ['search', 'react', '--index', 'pkgs', ...args, '--json']).hits.map(
        (h) => h.id,
      );
    expect(ids()).toEqual(['react', 'react-dom']);
    // Only react-dom's summary holds the word; react is found by its name alone.
    expect(ids('--search-fields', 'summary')).toEqual(['react-dom']);
    expect(ids('--search-fields', 'name^2,summary')).toEqual(['react', 'react-dom']);
    const notSearchable = sift(dir, ['search', 'react', '--index', 'pkgs', '--search-fields', 'downloads']);
    expect(notSearchable.code).toBe(1);
    expect(notSearchable.stderr).toMatch(/error INVALID_FIELD: search_fields: .*downloads/);
    const badWeight = sift(dir, ['search', 'react', '--index', 'pkgs', '--search-fields', 'name^0']);
    expect(badWeight.code).toBe(1);
    expect(badWeight.stderr).toMatch(/error INVALID_REQUEST: search_fields/);
  });

  it('search prints a readable table with facets, total and took_ms', () => {
    const r = sift(dir, ['search', 'framework', '--index', 'pkgs', '--facets', 'scope'], {
      env: { COLUMNS: '100' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/#.*id.*score.*version.*downloads.*scope/);
    expect(r.stdout).toContain('express');
    expect(r.stdout).toMatch(/scope: .*web \(\d+\)/);
    expect(r.stdout).toMatch(/total \d+ \(took [\d.]+ ms\)/);
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('search on an unknown index exits 1 with the error code', () => {
    const r = sift(dir, ['search', 'x', '--index', 'missing']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error INDEX_NOT_FOUND: index "missing" does not exist');
    expect(r.stdout).toBe('');
  });

  it('a bad filter exits 1 with INVALID_FILTER', () => {
    const r = sift(dir, ['search', 'x', '--index', 'pkgs', '--filter', 'colour = blue']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error INVALID_FILTER/);
  });

  it('index list --json lists the indexes with their counts', () => {
    const { indexes } = siftJson<{ indexes: { name: string; documents: number; created_at: string }[] }>(
      dir,
      ['index', 'list', '--json'],
    );
    const byName = Object.fromEntries(indexes.map((i) => [i.name, i]));
    expect(Object.keys(byName).sort()).toEqual(['bad', 'gz', 'pkgs', 'stdin']);
    expect(byName.pkgs?.documents).toBe(12);
    expect(byName.gz?.documents).toBe(5);
    const table = sift(dir, ['index', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/name.*documents.*size.*created/);
    expect(table.stdout).toMatch(/pkgs\s*│\s*12/);
  });

  it('index stats shows documents, generation and the fields with their options', () => {
    const stats = siftJson<IndexStats>(dir, ['index', 'stats', 'pkgs', '--json']);
    expect(stats).toMatchObject({ name: 'pkgs', documents: 12 });
    expect(stats.generation).toBeGreaterThan(0);
    expect(stats.schema.id_field).toBe('name');
    expect(stats.schema.fields.name).toMatchObject({ type: 'keyword', boost: 3 });
    const r = sift(dir, ['index', 'stats', 'pkgs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/documents\s+12/);
    expect(r.stdout).toMatch(/generation\s+\d+/);
    expect(r.stdout).toMatch(/name\s*│\s*keyword\s*│\s*searchable \(boost 3\), filterable, sortable/);
    expect(r.stdout).toMatch(/scope\s*│\s*keyword\s*│\s*filterable, facet/);
  });

  it('index settings shows the relevance settings and replaces them from a file', () => {
    const shown = siftJson<{ typo_tolerance: { enabled: boolean } }>(dir, ['index', 'settings', 'pkgs']);
    expect(shown.typo_tolerance.enabled).toBe(true);
    const file = join(dir, 'settings.yaml');
    writeFileSync(file, 'synonyms:\n  - { from: k8s, to: [kubernetes] }\nstop_words: { lists: [english] }\n');
    const set = siftJson<{ synonyms: unknown[] }>(dir, ['index', 'settings', 'pkgs', '--set', file]);
    expect(set.synonyms).toEqual([{ from: 'k8s', to: ['kubernetes'] }]);
    expect(siftJson<{ stop_words: unknown }>(dir, ['index', 'settings', 'pkgs']).stop_words).toEqual({
      lists: ['english'],
      words: [],
    });
    writeFileSync(file, 'stop_words: { lists: [klingon] }\n');
    const bad = sift(dir, ['index', 'settings', 'pkgs', '--set', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_SETTINGS');
    writeFileSync(file, '{}\n');
    expect(sift(dir, ['index', 'settings', 'pkgs', '--set', file]).code).toBe(0);
  });

  it('index create rejects an invalid schema naming the file and the field', () => {
    const bad = join(dir, 'bad-schema.yaml');
    writeFileSync(bad, 'fields:\n  id: { type: keyword }\n  body: { type: text, facet: true }\n');
    const r = sift(dir, ['index', 'create', 'broken', '--schema', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error INVALID_SCHEMA');
    expect(r.stderr).toContain('bad-schema.yaml');
    expect(r.stderr).toContain('body');
  });

  it('index drop removes the index; stats on it then fail with INDEX_NOT_FOUND', () => {
    const r = sift(dir, ['index', 'drop', 'gz']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dropped index "gz"');
    const after = sift(dir, ['index', 'stats', 'gz']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('INDEX_NOT_FOUND');
    const again = sift(dir, ['index', 'drop', 'gz']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('error INDEX_NOT_FOUND');
  });

  it('--data-dir overrides DATA_DIR', () => {
    const other = tempDir();
    try {
      expect(
        sift(dir, ['--data-dir', other.path, 'index', 'create', 'elsewhere', '--schema', SCHEMA]).code,
      ).toBe(0);
      const { indexes } = siftJson<{ indexes: { name: string }[] }>(dir, [
        'index',
        'list',
        '--json',
        '--data-dir',
        other.path,
      ]);
      expect(indexes.map((i) => i.name)).toEqual(['elsewhere']);
    } finally {
      other.remove();
    }
  });

  it('bad configuration exits 2 naming the setting', () => {
    const r = sift(dir, ['index', 'list'], { env: { PORT: 'abc' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid configuration');
    expect(r.stderr).toContain('PORT');
  });

  it('usage errors exit 2; --help exits 0', () => {
    const unknown = sift(dir, ['search', 'x', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--bogus');
    const badSize = sift(dir, ['search', 'x', '--size', 'ten']);
    expect(badSize.code).toBe(2);
    const help = sift(dir, ['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['serve', 'import', 'index', 'search']) expect(help.stdout).toContain(cmd);
  });
});
