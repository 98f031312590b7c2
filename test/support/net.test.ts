import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { claimPorts } from './net.js';

describe('claimPorts', () => {
  it('hands out distinct ports below the ephemeral range, never the same one twice while held', async () => {
    const ephemeralLow = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    const a = await claimPorts(20);
    const b = await claimPorts(20);
    try {
      const all = [...a.ports, ...b.ports];
      expect(new Set(all).size).toBe(40);
      for (const p of all) expect(p).toBeLessThan(ephemeralLow);
    } finally {
      a.release();
      b.release();
    }
  });
});
