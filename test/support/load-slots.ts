import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The long steady-load runs (20,000 requests through nginx at a fixed rate, open loop) take turns: at most
 * LOAD_SLOTS of them run at once on this machine, whichever test files (each in its own worker process) or test
 * runs they belong to. The files themselves still run side by side (their hosts start, their releases wait on
 * processes); only the load is bounded, because an open-loop load that the machine cannot serve queues without
 * bound, and a queueing test measures the machine, not the release. A slot is a file created exclusively and
 * naming its holder's pid; a slot whose holder is gone (a killed run) is taken over.
 */
export const LOAD_SLOTS = 2;

const DIR = join(tmpdir(), 'sift-test-load-slots');
const POLL_MS = 1_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryTake(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let holder = NaN;
  try {
    holder = Number(readFileSync(path, 'utf8'));
  } catch {
    return false; // released meanwhile: taken on the next poll
  }
  // An empty file is a holder between its create and its write: still held.
  if (Number.isInteger(holder) && holder > 0 && !alive(holder)) rmSync(path, { force: true });
  return false;
}

/**
 * Runs `fn` holding one of the LOAD_SLOTS slots, waiting for one to be free first (`dir` and `slots` are for the
 * slots' own test).
 */
export async function withLoadSlot<T>(
  fn: () => Promise<T>,
  opts: { dir?: string; slots?: number; pollMs?: number } = {},
): Promise<T> {
  const dir = opts.dir ?? DIR;
  mkdirSync(dir, { recursive: true });
  for (;;) {
    for (let i = 0; i < (opts.slots ?? LOAD_SLOTS); i++) {
      const slot = join(dir, `slot-${i}`);
      if (!tryTake(slot)) continue;
      try {
        return await fn();
      } finally {
        rmSync(slot, { force: true });
      }
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? POLL_MS));
  }
}
