import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportSummary } from '../../../src/cli/commands/export.js';
import { fixture, sift, siftJson } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';

// `sift export`: NDJSON in id order, to a file or stdout, by filter, resumable, and back through `sift import`.

const SCHEMA = fixture('packages.schema.yaml');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const names = (ndjson: string) =>
  ndjson
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { name: string }).name);

describe('sift export', { timeout: 120_000 }, () => {
  const data = tempDir('sift-export-');
  const dir = data.path;

  beforeAll(() => {
    expect(sift(dir, ['index', 'create', 'pkgs', '--schema', SCHEMA]).code).toBe(0);
    for (const file of ['packages.ndjson', 'packages.json'])
      expect(sift(dir, ['import', fixture(file), '--index', 'pkgs']).code).toBe(0);
  });
  afterAll(() => data.remove());

  it('writes every document to a file in id order and summarizes with --json', () => {
    const out = join(dir, 'all.ndjson');
    const s = siftJson<ExportSummary>(dir, ['export', 'pkgs', '--output', out, '--json']);
    const text = readFileSync(out, 'utf8');
    const ids = names(text);
    expect(ids).toHaveLength(8);
    expect(ids).toEqual([...ids].sort());
    expect(s).toMatchObject({
      index: 'pkgs',
      output: out,
      filter: null,
      documents: 8,
      bytes: Buffer.byteLength(text),
      last_id: ids[7],
    });
  });

  it('writes to stdout with the summary and progress on stderr, the same bytes as the file', () => {
    const r = sift(dir, ['export', 'pkgs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(dir, 'all.ndjson'), 'utf8'));
    expect(r.stderr).toContain('8 documents exported to stdout');
  });

  it("exports a filter's matches and resumes after an id", () => {
    const all = names(readFileSync(join(dir, 'all.ndjson'), 'utf8'));
    const core = sift(dir, ['export', 'pkgs', '--filter', 'scope = "core"']);
    expect(core.code).toBe(0);
    const coreIds = names(core.stdout);
    expect(coreIds.length).toBeGreaterThan(0);
    expect(coreIds.length).toBeLessThan(all.length);
    for (const line of core.stdout.split('\n').filter(Boolean))
      expect((JSON.parse(line) as { scope: string }).scope).toBe('core');
    const rest = sift(dir, ['export', 'pkgs', '--after', all[2]!]);
    expect(names(rest.stdout)).toEqual(all.slice(3));
  });

  it('round-trips: export, drop, import, export gives the same bytes', () => {
    const file = join(dir, 'all.ndjson');
    const before = sha(readFileSync(file, 'utf8'));
    expect(sift(dir, ['index', 'drop', 'pkgs']).code).toBe(0);
    expect(sift(dir, ['import', file, '--index', 'pkgs', '--schema', SCHEMA]).code).toBe(0);
    const again = join(dir, 'again.ndjson');
    expect(sift(dir, ['export', 'pkgs', '--output', again]).code).toBe(0);
    expect(sha(readFileSync(again, 'utf8'))).toBe(before);
  });

  it('refuses a missing index and a bad filter with their codes, leaving no file', () => {
    const out = join(dir, 'missing.ndjson');
    const missing = sift(dir, ['export', 'no-such-index', '--output', out]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('INDEX_NOT_FOUND');
    expect(existsSync(out)).toBe(false);
    const bad = sift(dir, ['export', 'pkgs', '--filter', 'nosuch = 1', '--output', out]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('INVALID_FILTER');
    expect(existsSync(out)).toBe(false);
  });
});
