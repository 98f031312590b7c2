import { join } from 'node:path';
import type { Color } from '../../types.js';
import { takeRenewedLock } from './lock-file.js';
import { pause } from '../../pause.js';

/**
 * One process at a time converges a colour's processes: a release's CLI, or the agent that replaces dead
 * instances. Two of them would each start an instance for the same missing one. The lock is a file per colour in
 * the state directory, renewed while held, and free at once when its process dies.
 */
export interface ConvergeLock {
  release(): Promise<void>;
}

const TTL_MS = 30_000;

const lockPath = (stateDir: string, color: Color) => join(stateDir, `converge-${color}.lock`);

/** Takes the lock of `color` if it is free (a stale one is broken first); null when another process holds it. */
export async function tryConvergeLock(
  stateDir: string,
  color: Color,
  owner: string,
): Promise<ConvergeLock | null> {
  const taken = await takeRenewedLock(lockPath(stateDir, color), owner, TTL_MS);
  return 'lock' in taken ? taken.lock : null;
}

/** Waits for the lock of `color` (polling); null when `signal` aborts first. */
export async function convergeLock(
  stateDir: string,
  color: Color,
  owner: string,
  signal: AbortSignal,
): Promise<ConvergeLock | null> {
  for (;;) {
    const lock = await tryConvergeLock(stateDir, color, owner);
    if (lock) return lock;
    if (!(await pause(100, signal))) return null;
  }
}
