import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withLoadSlot } from './load-slots.js';
import { tempDir } from './temp-dir.js';

describe('load slots', () => {
  const dirs: string[] = [];
  const freshDir = () => {
    const d = tempDir('sift-slots-test-').path;
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('runs at most `slots` holders at once and frees a slot when its holder ends, even by throwing', async () => {
    const dir = freshDir();
    let running = 0;
    let most = 0;
    const job = (fail: boolean) =>
      withLoadSlot(
        async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 60));
          running--;
          if (fail) throw new Error('boom');
          return 'done';
        },
        { dir, slots: 2, pollMs: 10 },
      );
    const results = await Promise.allSettled([job(true), job(false), job(false), job(true), job(false)]);
    expect(most).toBe(2);
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
  });

  it('takes over a slot whose holder process is gone, and waits for a live holder', async () => {
    const dir = freshDir();
    // A pid no process has: beyond the kernel's pid_max.
    writeFileSync(join(dir, 'slot-0'), '99999999');
    await expect(withLoadSlot(async () => 'taken', { dir, slots: 1, pollMs: 10 })).resolves.toBe('taken');

    writeFileSync(join(dir, 'slot-0'), String(process.pid));
    let ran = false;
    const waiting = withLoadSlot(async () => (ran = true), { dir, slots: 1, pollMs: 10 });
    await new Promise((r) => setTimeout(r, 100));
    expect(ran).toBe(false);
    rmSync(join(dir, 'slot-0'));
    await waiting;
    expect(ran).toBe(true);
  });
});
