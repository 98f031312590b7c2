import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { identify, isAlive } from './processes.js';
import { readJsonOrNull, writeJsonAtomic } from './state-file.js';

/**
 * A lock is a file created with O_EXCL (`wx`): exactly one creator wins, on any local filesystem. It names its
 * holder and expires unless renewed. It is stale when it expired, or when its process on this machine is gone (a
 * killed CLI frees the target at once instead of after the expiry).
 */
export interface LockContent {
  readonly owner: string;
  readonly pid: number;
  readonly startTicks: string | null;
  readonly hostname: string;
  readonly token: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

export function newLockContent(owner: string, ttlMs: number): LockContent {
  const now = Date.now();
  return {
    owner,
    pid: process.pid,
    startTicks: identify(process.pid).startTicks,
    hostname: hostname(),
    token: randomBytes(12).toString('hex'),
    acquiredAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlMs).toISOString(),
  };
}

export function isStale(lock: LockContent, now = Date.now()): boolean {
  if (Date.parse(lock.expiresAt) <= now) return true;
  return lock.hostname === hostname() && !isAlive({ pid: lock.pid, startTicks: lock.startTicks });
}

/** Creates the lock file; false when another one exists. */
export async function tryCreate(path: string, content: LockContent): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true });
  let file;
  try {
    file = await open(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await file.writeFile(JSON.stringify(content));
    await file.sync();
  } finally {
    await file.close();
  }
  return true;
}

/** The lock's content; null when there is none. A file caught between create and write reads as held. */
export async function readLock(path: string): Promise<LockContent | null> {
  try {
    return (await readJsonOrNull(path)) as LockContent | null;
  } catch {
    const info = await stat(path).catch(() => null);
    if (!info) return null;
    // Half-written by a creator that died right after creating it: stale once it is old.
    return {
      owner: 'unknown (unreadable lock file)',
      pid: 0,
      startTicks: null,
      hostname: '',
      token: `unreadable-${info.mtimeMs}`,
      acquiredAt: info.mtime.toISOString(),
      expiresAt: new Date(info.mtimeMs + 10_000).toISOString(),
    };
  }
}

/**
 * Removes `seen` if it is still the lock at `path`. Two processes may find the same stale lock; a short guard
 * file makes the check-and-remove one step, so neither can delete a fresh lock the other has just created.
 */
export async function removeIfUnchanged(path: string, seen: LockContent): Promise<void> {
  const guard = `${path}.break`;
  const guardContent = newLockContent('stale-lock breaker', 10_000);
  if (!(await tryCreate(guard, guardContent))) {
    const other = await readLock(guard);
    if (other && isStale(other)) await removeIfUnchanged(guard, other).catch(() => undefined);
    return;
  }
  try {
    const current = await readLock(path);
    if (current && current.token === seen.token) await rm(path, { force: true });
  } finally {
    await rm(guard, { force: true });
  }
}

/** Deletes the lock when it is still ours. */
export async function removeOwn(path: string, token: string): Promise<void> {
  const current = await readLock(path);
  if (current?.token === token) await rm(path, { force: true });
}

/** Pushes the expiry forward; false when the lock is no longer ours (it expired and was taken). */
export async function renew(path: string, token: string, ttlMs: number): Promise<boolean> {
  const current = await readLock(path);
  if (!current || current.token !== token) return false;
  await writeJsonAtomic(path, { ...current, expiresAt: new Date(Date.now() + ttlMs).toISOString() });
  return true;
}

/** A lock file this process holds, renewed in the background until released. */
export interface HeldLockFile {
  readonly owner: string;
  release(): Promise<void>;
}

/**
 * Takes the lock at `path` if it is free, breaking a stale one first: the lock, held and renewed every third of
 * its TTL, or the live holder that keeps it (null when a few attempts, each after a stale lock was removed or a
 * lock released meanwhile, all lost the race).
 */
export async function takeRenewedLock(
  path: string,
  owner: string,
  ttlMs: number,
): Promise<{ lock: HeldLockFile } | { holder: LockContent | null }> {
  const content = newLockContent(owner, ttlMs);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(path, content)) return { lock: heldLock(path, content, ttlMs) };
    const holder = await readLock(path);
    if (holder && !isStale(holder)) return { holder };
    if (holder) await removeIfUnchanged(path, holder);
  }
  return { holder: null };
}

function heldLock(path: string, content: LockContent, ttlMs: number): HeldLockFile {
  const timer = setInterval(
    () => void renew(path, content.token, ttlMs).catch(() => undefined),
    Math.max(1_000, ttlMs / 3),
  );
  timer.unref();
  let released = false;
  return {
    owner: content.owner,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await removeOwn(path, content.token);
    },
  };
}
