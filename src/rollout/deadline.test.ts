import { describe, expect, it } from 'vitest';
import { requestDeadline } from './deadline.js';

describe('requestDeadline', () => {
  it('aborts with a TimeoutError when the time is up', async () => {
    const d = requestDeadline(20);
    await new Promise((r) => setTimeout(r, 60));
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it("follows the caller's signal, aborted before or during the request", () => {
    const before = new AbortController();
    before.abort('gone');
    expect(requestDeadline(10_000, before.signal).signal.reason).toBe('gone');
    const during = new AbortController();
    const d = requestDeadline(10_000, during.signal);
    expect(d.signal.aborted).toBe(false);
    during.abort('left');
    expect(d.signal.reason).toBe('left');
    d.release();
  });

  it('lets go of the timer and of the listener on release', async () => {
    const parent = new AbortController();
    const d = requestDeadline(20, parent.signal);
    d.release();
    await new Promise((r) => setTimeout(r, 60));
    parent.abort();
    expect(d.signal.aborted).toBe(false);
  });
});
