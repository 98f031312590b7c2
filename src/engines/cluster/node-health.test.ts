import { describe, expect, it } from 'vitest';
import { FIRST_PROBE_MS, MAX_PROBE_MS, NEXT_PROBE_MS, NodeHealth } from './node-health.js';

describe('NodeHealth', () => {
  it('spreads requests round-robin over trusted nodes', () => {
    const h = new NodeHealth(3);
    expect([h.order(), h.order(), h.order(), h.order()]).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [0, 1, 2],
    ]);
  });

  it('puts a suspect node last until it is trusted again', () => {
    const h = new NodeHealth(3);
    expect(h.fail(1, 1000)).toBe(FIRST_PROBE_MS);
    expect(h.isSuspect(1)).toBe(true);
    // Suspect, not unreachable: its probe has not failed.
    expect(h.reachable()).toEqual([0, 1, 2]);
    expect([h.order(), h.order(), h.order()]).toEqual([
      [0, 2, 1],
      [2, 0, 1],
      [2, 0, 1],
    ]);
    h.trust(1);
    expect(h.isSuspect(1)).toBe(false);
    expect(h.order()).toEqual([0, 1, 2]);
  });

  it('holds a suspect whose probe failed unreachable until it is trusted again', () => {
    const h = new NodeHealth(3);
    h.fail(2, 0);
    h.probeFailed(2, 10);
    expect(h.reachable()).toEqual([0, 1]);
    expect(h.nextProbeMs(2)).toBe(NEXT_PROBE_MS);
    h.probeFailed(2, 20);
    expect(h.nextProbeMs(2)).toBe(2 * NEXT_PROBE_MS);
    h.trust(2);
    expect(h.reachable()).toEqual([0, 1, 2]);
  });

  it('orders suspects the most recently failed first (the one failing longest is least likely back)', () => {
    const h = new NodeHealth(3);
    h.fail(0, 1000);
    h.fail(2, 2000);
    expect(h.order()).toEqual([1, 2, 0]);
    h.fail(1, 3000);
    expect(h.order()).toEqual([1, 2, 0]);
  });

  it('schedules a first probe once, then probes further apart while the node keeps failing, up to a cap', () => {
    const h = new NodeHealth(2);
    expect(h.fail(0, 0)).toBe(FIRST_PROBE_MS);
    // Further failures while suspect leave the probe schedule to the probes.
    expect(h.fail(0, 10)).toBeUndefined();
    const delays = [];
    for (let i = 0; i < 8; i++) {
      h.fail(0, 20 + i);
      delays.push(h.nextProbeMs(0));
    }
    expect(delays[0]).toBeGreaterThan(FIRST_PROBE_MS);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(delays.at(-1)).toBe(MAX_PROBE_MS);
    h.trust(0);
    expect(h.fail(0, 100)).toBe(FIRST_PROBE_MS);
  });
});
