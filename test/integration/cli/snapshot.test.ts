import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestoreResult, SnapshotInfo } from '../../../src/engines/snapshots.js';
import { fixture, sift, siftJson, siftSpawn, type RunResult } from '../../support/cli.js';
import { startSift, type SiftProcess } from '../../support/sift-process.js';
import { tempDir } from '../../support/temp-dir.js';

// `sift snapshot` on the embedded engine: an online, consistent copy while a server searches and writes; a restore
// refused under a running server, into a new data directory beside it, and into the stopped service's own.

const SCHEMA = fixture('packages.schema.yaml');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** The CLI without blocking the event loop (spawnSync would stop the writes the test makes meanwhile). */
async function siftAsync(dataDir: string, args: string[]): Promise<RunResult> {
  const child = siftSpawn(dataDir, args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** A digest of an index's export: every document as stored, in id order. */
function exportDigest(dataDir: string, index: string): string {
  const r = sift(dataDir, ['export', index]);
  expect(r.code, r.stderr).toBe(0);
  return sha(r.stdout);
}

const exportedIds = (dataDir: string, index: string): string[] => {
  const r = sift(dataDir, ['export', index]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { name: string }).name);
};

const busyId = (n: number) => `b-${String(n).padStart(6, '0')}`;

describe('sift snapshot (embedded engine)', { timeout: 180_000 }, () => {
  const data = tempDir('sift-snapshot-');
  const dir = join(data.path, 'data');
  const fresh = join(data.path, 'fresh');
  let server: SiftProcess | null = null;
  let before = '';
  let snap: SnapshotInfo;

  beforeAll(() => {
    expect(sift(dir, ['index', 'create', 'pkgs', '--schema', SCHEMA]).code).toBe(0);
    expect(sift(dir, ['index', 'create', 'busy', '--schema', SCHEMA]).code).toBe(0);
    for (const file of ['packages.ndjson', 'packages.json'])
      expect(sift(dir, ['import', fixture(file), '--index', 'pkgs']).code).toBe(0);
    before = exportDigest(dir, 'pkgs');
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('takes a snapshot of one instant while a server goes on writing', async () => {
    server = await startSift({ dataDir: dir });
    const url = server.url;
    // One writer, one document after another: any consistent copy holds exactly the first n of them.
    let written = 0;
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        const id = busyId(written);
        const res = await fetch(`${url}/api/indexes/busy/documents/${id}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: id,
            version: '1.0.0',
            downloads: written,
            scope: 'busy',
            summary: 'x',
          }),
        });
        expect(res.status, await res.text()).toBeLessThan(300);
        written++;
      }
    })();
    // Let some writes land first, so the copy falls in the middle of them.
    while (written < 20) await new Promise((r) => setTimeout(r, 20));
    const created = await siftAsync(dir, ['snapshot', 'create', 'snap1', '--json']);
    const afterSnapshot = written;
    while (written < afterSnapshot + 10) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await writer;
    expect(created.code, created.stderr).toBe(0);
    snap = JSON.parse(created.stdout) as SnapshotInfo;
    expect(snap).toMatchObject({ name: 'snap1', engine: 'embedded', state: 'complete' });
    const busy = snap.indexes.find((i) => i.name === 'busy')!;
    expect(snap.indexes.find((i) => i.name === 'pkgs')?.documents).toBe(8);
    expect(busy.documents).toBeGreaterThanOrEqual(20);
    // Writes went on during the copy and after it.
    expect(written).toBeGreaterThan(busy.documents);
    // Progress on stderr, as JSON lines with --json, up to the whole copy.
    expect(created.stderr).toMatch(/"phase":"copy","done":(\d+),"total":\1,"percent":100/);
  });

  it('lists the snapshot', () => {
    const list = siftJson<SnapshotInfo[]>(dir, ['snapshot', 'list', '--json']);
    expect(list.map((s) => [s.name, s.state])).toEqual([['snap1', 'complete']]);
    const table = sift(dir, ['snapshot', 'list']);
    expect(table.stdout).toMatch(/snap1.*complete.*busy, pkgs/);
  });

  it('refuses to restore into the data directory a running server holds, and changes nothing', async () => {
    const url = server!.url;
    expect((await fetch(`${url}/api/indexes/pkgs/documents/react`, { method: 'DELETE' })).status).toBe(204);
    const changed = exportDigest(dir, 'pkgs');
    expect(changed).not.toBe(before);
    const r = await siftAsync(dir, ['snapshot', 'restore', 'snap1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SNAPSHOT_CONFLICT');
    expect(r.stderr).toContain('--into');
    expect(exportDigest(dir, 'pkgs')).toBe(changed);
  });

  it('restores into a new data directory beside the running server: the documents of that instant', async () => {
    const r = await siftAsync(dir, ['snapshot', 'restore', 'snap1', '--into', fresh, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout) as RestoreResult).toMatchObject({ snapshot: 'snap1', target: fresh });
    expect(exportDigest(fresh, 'pkgs')).toBe(before);
    const busy = snap.indexes.find((i) => i.name === 'busy')!.documents;
    expect(exportedIds(fresh, 'busy')).toEqual(Array.from({ length: busy }, (_, i) => busyId(i)));
  });

  it('restores into the stopped service: every index as it was, later writes gone', async () => {
    await server!.stop();
    server = null;
    expect(exportDigest(dir, 'pkgs')).not.toBe(before);
    const r = sift(dir, ['snapshot', 'restore', 'snap1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/snapshot "snap1" restored into .*: 2 indexes \(busy, pkgs\)/);
    expect(exportDigest(dir, 'pkgs')).toBe(before);
    const busy = snap.indexes.find((i) => i.name === 'busy')!.documents;
    expect(exportedIds(dir, 'busy')).toEqual(Array.from({ length: busy }, (_, i) => busyId(i)));
    // The restored database serves and takes writes again.
    server = await startSift({ dataDir: dir });
    const res = await fetch(`${server.url}/api/indexes/pkgs/search?q=react`);
    expect(res.status).toBe(200);
    await server.stop();
    server = null;
  });

  it('refuses a damaged snapshot, a missing one, a taken name and a bad name with their codes', () => {
    const file = join(dir, 'snapshots', 'snap1', 'sift.db');
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(file, bytes);
    const damaged = sift(dir, ['snapshot', 'restore', 'snap1', '--into', join(data.path, 'other')]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain('SNAPSHOT_CORRUPT');
    expect(sift(dir, ['snapshot', 'restore', 'nope']).stderr).toContain('SNAPSHOT_NOT_FOUND');
    expect(sift(dir, ['snapshot', 'create', 'snap1']).stderr).toContain('SNAPSHOT_CONFLICT');
    expect(sift(dir, ['snapshot', 'create', 'Bad/Name']).stderr).toContain('SNAPSHOT_INVALID');
  });
});
