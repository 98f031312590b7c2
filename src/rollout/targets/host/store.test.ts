import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempHostConfig } from '../../../../test/support/rollout-host/temp-host-config.js';
import { isSiftError } from '../../../errors.js';
import type { ReleaseRecord } from '../../types.js';
import { newLockContent } from '../../platform/host/lock-file.js';
import { writeFileAtomic } from '../../platform/host/state-file.js';
import { HostReleaseStore } from './store.js';

const lockError = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (isSiftError(e) ? e : null),
  );

/** A pid that has exited: a child that ran and was reaped. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('host release store', () => {
  const made: { remove(): void }[] = [];
  const store = () => {
    const t = tempHostConfig();
    made.push(t);
    return { store: new HostReleaseStore(t.config.stateDir, 60_000), dir: t.config.stateDir };
  };
  afterEach(() => made.splice(0).forEach((t) => t.remove()));

  it('gives the lock to one owner at a time and names the holder to the next', async () => {
    const { store: a, dir } = store();
    const b = new HostReleaseStore(dir, 60_000);
    const lock = await a.lock('alice@host');
    const refused = await lockError(b.lock('bob@host'));
    expect(refused?.code).toBe('DEPLOY_LOCKED');
    expect(refused?.message).toContain('alice@host');
    await lock.release();
    expect(existsSync(a.lockPath)).toBe(false);
    const second = await b.lock('bob@host');
    // A release by the old holder must not free the new holder's lock.
    await lock.release();
    expect(JSON.parse(readFileSync(a.lockPath, 'utf8')).owner).toBe('bob@host');
    await second.release();
  });

  it('takes over a lock whose process died, and one that expired', async () => {
    const { store: s, dir } = store();
    mkdirSync(dir, { recursive: true });
    writeFileSync(s.lockPath, JSON.stringify({ ...newLockContent('crashed@host', 60_000), pid: deadPid() }));
    const first = await s.lock('next@host');
    await first.release();
    const expired = { ...newLockContent('hung@elsewhere', 60_000), hostname: `not-${hostname()}` };
    writeFileSync(
      s.lockPath,
      JSON.stringify({ ...expired, expiresAt: new Date(Date.now() - 1000).toISOString() }),
    );
    const second = await s.lock('next@host');
    await second.release();
    // Another machine's live lock is respected until it expires.
    writeFileSync(s.lockPath, JSON.stringify(expired));
    expect((await lockError(s.lock('next@host')))?.code).toBe('DEPLOY_LOCKED');
  });

  it('keeps the release record, replaced whole', async () => {
    const { store: s, dir } = store();
    expect(await s.read()).toBeNull();
    const record: ReleaseRecord = {
      id: 'r1',
      strategy: 'rolling',
      phase: 'progressing',
      stable: { color: 'blue', image: '1.0' },
      candidate: { color: 'blue', image: '2.0' },
      startedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      message: 'rolling',
      owner: 'alice@host',
    };
    await s.write(record);
    await s.write({ ...record, phase: 'succeeded' });
    expect(await s.read()).toEqual({ ...record, phase: 'succeeded' });
    // No temporary file is left behind by the atomic replace.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    writeFileSync(s.recordPath, '{ not json');
    expect((await lockError(s.read()))?.code).toBe('DEPLOY_TARGET_UNAVAILABLE');
  });

  it('replaces files atomically, keeping the mode', async () => {
    const { dir } = store();
    const file = join(dir, '..', 'include.conf');
    await writeFileAtomic(file, 'one\n', 0o640);
    await writeFileAtomic(file, 'two\n', 0o640);
    expect(readFileSync(file, 'utf8')).toBe('two\n');
  });
});
