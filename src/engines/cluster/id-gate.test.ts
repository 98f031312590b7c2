import { describe, expect, it } from 'vitest';
import { IdGate } from './id-gate.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('IdGate', () => {
  it('lets writes of different ids through at once', async () => {
    const gate = new IdGate();
    const a = await gate.enter(new Set(['a', 'b']));
    const c = await gate.enter(new Set(['c']));
    a();
    c();
  });

  it('holds a write of an id until the earlier write of it is done', async () => {
    const gate = new IdGate();
    const first = await gate.enter(new Set(['x', 'y']));
    let passed = false;
    const second = gate.enter(new Set(['y', 'z'])).then((release) => {
      passed = true;
      return release;
    });
    await tick();
    expect(passed).toBe(false);
    first();
    (await second)();
    expect(passed).toBe(true);
  });

  it('never lets a later write overtake an earlier one that still waits', async () => {
    const gate = new IdGate();
    const order: string[] = [];
    const one = await gate.enter(new Set(['a']));
    // Two waits on `a`; the third writes `b`, which the second also writes: it must wait for the second.
    const two = gate.enter(new Set(['a', 'b'])).then((release) => (order.push('two'), release));
    const three = gate.enter(new Set(['b'])).then((release) => (order.push('three'), release));
    await tick();
    expect(order).toEqual([]);
    one();
    (await two)();
    (await three)();
    expect(order).toEqual(['two', 'three']);
  });
});
