import { mkdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { SiftError } from '../../../errors.js';
import type { Lock, ReleaseRecord, ReleaseStore } from '../../types.js';
import {
  isStale,
  newLockContent,
  readLock,
  removeIfUnchanged,
  removeOwn,
  takeRenewedLock,
  tryCreate,
} from '../../platform/host/lock-file.js';
import { readJsonOrNull, writeJsonAtomic } from '../../platform/host/state-file.js';

/**
 * The deploy lock and release record of the host target, in its state directory: every operator on this host
 * (and every `sift deploy` process) sees the same. The lock is renewed while held, so a deploy that hangs on
 * another machine sharing the directory frees it after the TTL; one whose process died here frees it at once.
 */
export class HostReleaseStore implements ReleaseStore {
  readonly lockPath: string;
  readonly recordPath: string;

  constructor(
    stateDir: string,
    private readonly ttlMs: number,
  ) {
    this.lockPath = join(stateDir, 'deploy.lock');
    this.recordPath = join(stateDir, 'release.json');
  }

  async lock(owner: string): Promise<Lock> {
    const taken = await takeRenewedLock(this.lockPath, owner, this.ttlMs);
    if ('lock' in taken) return taken.lock;
    const { holder } = taken;
    if (holder) {
      throw new SiftError(
        'DEPLOY_LOCKED',
        `another deploy holds the lock: ${holder.owner} (pid ${holder.pid} on ${holder.hostname}) since ${holder.acquiredAt}; it expires at ${holder.expiresAt} unless renewed`,
        { owner: holder.owner, pid: holder.pid, host: holder.hostname, expiresAt: holder.expiresAt },
      );
    }
    throw new SiftError('DEPLOY_LOCKED', `could not take the deploy lock ${this.lockPath}; retry`);
  }

  async read(): Promise<ReleaseRecord | null> {
    try {
      return (await readJsonOrNull(this.recordPath)) as ReleaseRecord | null;
    } catch (err) {
      throw new SiftError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `the release record ${this.recordPath} is unreadable: ${(err as Error).message}`,
      );
    }
  }

  async write(record: ReleaseRecord): Promise<void> {
    await mkdir(dirname(this.recordPath), { recursive: true });
    await writeJsonAtomic(this.recordPath, record);
  }

  /**
   * Under a short-lived lock file of its own (not the deploy lock, which the running release holds for its whole
   * run): the record is read, changed and replaced atomically while no other writer can interleave.
   */
  async update(
    change: (current: ReleaseRecord | null) => ReleaseRecord | null,
  ): Promise<ReleaseRecord | null> {
    const content = newLockContent('record update', RECORD_LOCK_TTL_MS);
    const deadline = Date.now() + RECORD_LOCK_WAIT_MS;
    while (!(await tryCreate(this.recordLockPath, content))) {
      const holder = await readLock(this.recordLockPath);
      if (holder && isStale(holder)) await removeIfUnchanged(this.recordLockPath, holder);
      else if (Date.now() > deadline) {
        throw new SiftError(
          'DEPLOY_LOCKED',
          `the release record ${this.recordPath} stayed locked for ${RECORD_LOCK_WAIT_MS / 1000} s by ${holder?.owner ?? 'another writer'} (pid ${holder?.pid ?? '?'}); retry`,
        );
      } else await delay(20);
    }
    try {
      const current = await this.read();
      const next = change(current);
      if (next === null) return current;
      await this.write(next);
      return next;
    } finally {
      await removeOwn(this.recordLockPath, content.token);
    }
  }

  private get recordLockPath(): string {
    return `${this.recordPath}.lock`;
  }
}

/** A record update holds its lock for a read and an atomic write: milliseconds; one left by a dead writer expires. */
const RECORD_LOCK_TTL_MS = 10_000;
const RECORD_LOCK_WAIT_MS = 15_000;
