import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, cliEnv, fixture, sift, siftJson } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';
import { nodeArgs } from '../../support/compiled.js';

/**
 * kill -9 in the middle of `sift import`: every document the import reported as committed (its --json progress
 * lines on stderr) is in the database afterwards, and the database is consistent: the text index passes FTS5's
 * integrity check, its triggers, rank table and B-tree indexes are all there, and a search finds the documents.
 * The input comes through stdin, so the test decides when the import is mid-load: it sends part of the input,
 * waits for the progress it wants, and kills the process while the rest is still to come.
 */

const SCHEMA = fixture('packages.schema.yaml');

const doc = (i: number) =>
  JSON.stringify({
    name: `crash-${i}`,
    version: '1.0.0',
    downloads: i,
    scope: i % 2 ? 'odd' : 'even',
    summary: `generated package number w${i} for the crash test`,
  });
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => doc(from + k)).join('\n') + '\n';

interface Progress {
  processed: number;
  committed: number;
}

/** Starts `sift import - --json` with stdin open; resolves progress lines as they come. */
function startImport(dir: string, index: string, batch: number) {
  const proc = spawn(
    process.execPath,
    nodeArgs('bin/sift.ts', 'import', '-', '--index', index, '--json', '--batch', String(batch)),
    { cwd: ROOT, env: cliEnv(dir), stdio: ['pipe', 'pipe', 'pipe'] },
  ) as ChildProcessWithoutNullStreams;
  // Input still on its way when the process is killed has nowhere to go: that is the point.
  proc.stdin.on('error', () => {});
  const seen: Progress[] = [];
  let waiter: { until: (p: Progress) => boolean; resolve: (p: Progress) => void } | undefined;
  let rest = '';
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    rest += s;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (!line.startsWith('{"progress"')) continue;
      const p = (JSON.parse(line) as { progress: Progress }).progress;
      seen.push(p);
      if (waiter?.until(p)) waiter.resolve(p);
    }
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    proc.once('exit', (_c, sig) => resolve(sig)),
  );
  return {
    proc,
    seen,
    stderr: () => stderr,
    exited,
    /** The first progress line (past or future) that satisfies `until`. */
    waitFor(until: (p: Progress) => boolean, timeoutMs = 60_000): Promise<Progress> {
      const found = seen.find(until);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no such progress line within ${timeoutMs} ms; stderr:\n${stderr}`)),
          timeoutMs,
        );
        waiter = {
          until,
          resolve: (p) => {
            clearTimeout(timer);
            resolve(p);
          },
        };
      });
    },
  };
}

/** The database as a later process finds it: FTS5 integrity, derived structures present, documents present. */
function inspect(dir: string, index: string, ids: string[]) {
  const db = new Database(join(dir, 'sift.db'));
  try {
    const { tid } = db.prepare('SELECT tid FROM sift_indexes WHERE name = ?').get(index) as { tid: number };
    // Throws SQLITE_CORRUPT_VTAB when the text index does not match the rows.
    db.exec(`INSERT INTO f_${tid}(f_${tid}) VALUES ('integrity-check')`);
    const objects = (
      db.prepare(`SELECT name FROM sqlite_schema WHERE tbl_name IN (?, ?)`).all(`d_${tid}`, `r_${tid}`) as {
        name: string;
      }[]
    ).map((o) => o.name);
    const count = db.prepare(`SELECT count(*) FROM d_${tid}`).pluck().get() as number;
    const ranked = db.prepare(`SELECT count(*) FROM r_${tid}`).pluck().get() as number;
    const has = db.prepare(`SELECT 1 FROM d_${tid} WHERE id = ?`).pluck();
    const missing = ids.filter((id) => has.get(id) === undefined);
    return { tid, objects, count, ranked, missing };
  } finally {
    db.close();
  }
}

const search = (dir: string, index: string, q: string) =>
  siftJson<{ total: number; hits: { id: string }[] }>(dir, ['search', q, '--index', index, '--json']);

describe('kill -9 during sift import', { timeout: 180_000 }, () => {
  const data = tempDir('sift-import-crash-');
  const dir = data.path;
  afterAll(() => data.remove());

  it('into a live index: every batch reported committed survives, and the index is consistent', async () => {
    expect(sift(dir, ['index', 'create', 'live', '--schema', SCHEMA]).code).toBe(0);
    // A document already there makes the index live, so the import writes batch by batch (the first load, into
    // the empty index, is one transaction).
    const first = siftJson<{ load: string; indexed: number }>(
      dir,
      ['import', '-', '--index', 'live', '--json'],
      {
        input: doc(1_000_000),
      },
    );
    expect(first).toMatchObject({ load: 'rebuild', indexed: 1 });

    const run = startImport(dir, 'live', 1000);
    run.proc.stdin.write(lines(0, 5000));
    const before = await run.waitFor((p) => p.committed >= 3000);
    // More input is on its way while the process dies.
    run.proc.stdin.write(lines(5000, 6000));
    run.proc.kill('SIGKILL');
    expect(await run.exited).toBe('SIGKILL');
    const acknowledged = Math.max(before.committed, ...run.seen.map((p) => p.committed));

    const ids = Array.from({ length: acknowledged }, (_, i) => `crash-${i}`);
    const after = inspect(dir, 'live', ids);
    expect(after.missing).toEqual([]);
    expect(after.count).toBeGreaterThanOrEqual(acknowledged + 1);
    expect(after.ranked).toBe(after.count);
    const last = search(dir, 'live', `w${acknowledged - 1}`);
    expect(last.hits.map((h) => h.id)).toEqual([`crash-${acknowledged - 1}`]);
  });

  it('into an empty index: nothing is acknowledged before the commit, and the index is left as it was', async () => {
    expect(sift(dir, ['index', 'create', 'empty', '--schema', SCHEMA]).code).toBe(0);
    const fresh = inspect(dir, 'empty', []);

    const run = startImport(dir, 'empty', 1000);
    run.proc.stdin.write(lines(0, 5000));
    // A progress line while the load is still open: documents processed, none committed yet.
    const mid = await run.waitFor((p) => p.processed > 0);
    expect(mid.committed).toBe(0);
    run.proc.kill('SIGKILL');
    expect(await run.exited).toBe('SIGKILL');
    expect(run.seen.every((p) => p.committed === 0)).toBe(true);

    // Rolled back whole: no rows, and every trigger and index that the load set aside is back.
    const after = inspect(dir, 'empty', []);
    expect(after.count).toBe(0);
    expect(after.objects.sort()).toEqual(fresh.objects.sort());

    // The index works as before: a plain import into it is searchable and the text index consistent.
    const s = siftJson<{ load: string; indexed: number }>(
      dir,
      ['import', '-', '--index', 'empty', '--json'],
      {
        input: lines(0, 3000),
      },
    );
    expect(s).toMatchObject({ load: 'rebuild', indexed: 3000 });
    expect(search(dir, 'empty', 'w2999').hits.map((h) => h.id)).toEqual(['crash-2999']);
    siftJson(dir, ['import', '-', '--index', 'empty', '--json'], { input: doc(7777777) });
    expect(search(dir, 'empty', 'w7777777').hits.map((h) => h.id)).toEqual(['crash-7777777']);
    const final = inspect(dir, 'empty', ['crash-0', 'crash-2999', 'crash-7777777']);
    expect(final).toMatchObject({ count: 3001, ranked: 3001, missing: [] });
  });
});
