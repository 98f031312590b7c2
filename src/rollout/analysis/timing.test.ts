import { describe, expect, it } from 'vitest';
import { mapLimit, pause } from './timing.js';

describe('timing helpers', () => {
  it('pause resolves true after the wait and false at once when aborted before or during it', async () => {
    const never = new AbortController().signal;
    expect(await pause(5, never)).toBe(true);
    const before = new AbortController();
    before.abort();
    expect(await pause(60_000, before.signal)).toBe(false);
    const during = new AbortController();
    const p = pause(60_000, during.signal);
    during.abort();
    expect(await p).toBe(false);
  });

  it('mapLimit keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });
});
