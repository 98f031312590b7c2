import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { statusWarnings, type DeployStatus } from '../../rollout/status.js';
import type { TrackState } from '../../rollout/types.js';
import { printStatus } from './status.js';

const track = (color: 'blue' | 'green', ready: number, desired: number): TrackState =>
  ({ color, image: '1.0', desired, ready, updated: ready, total: ready, revision: '1' }) as TrackState;

const status = (blue: TrackState, green: TrackState): DeployStatus => {
  const target = { kind: 'host' as const, where: 'host behind nginx :8080', tracks: { blue, green } };
  const traffic = { blue: 100, green: 0 };
  return { target, traffic, router: 'nginx', release: null, warnings: statusWarnings(target, traffic) };
};

/** What `sift deploy status` prints to a stream that is (or is not) a terminal. */
function printed(s: DeployStatus, tty: boolean): string {
  const out = Object.assign(new PassThrough(), { isTTY: tty }) as unknown as NodeJS.WriteStream;
  let text = '';
  (out as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
  const before = process.env.NO_COLOR;
  delete process.env.NO_COLOR;
  try {
    printStatus(out, s);
  } finally {
    if (before !== undefined) process.env.NO_COLOR = before;
  }
  return text;
}

describe('deploy status output', () => {
  it('has no colour codes when stdout is not a terminal, and has them on one', () => {
    const s = status(track('blue', 1, 2), track('green', 0, 0));
    expect(printed(s, false)).not.toContain('\u001b[');
    expect(printed(s, true)).toContain('\u001b[');
  });

  it('warns when a colour runs fewer ready instances than it asks for', () => {
    const degraded = printed(status(track('blue', 1, 2), track('green', 0, 0)), false);
    expect(degraded).toContain(
      'warning: blue is degraded: 1 of 2 instances ready, and it takes 100% of the traffic',
    );
    expect(degraded).not.toContain('green is degraded');
    expect(printed(status(track('blue', 2, 2), track('green', 2, 2)), false)).not.toContain('warning');
  });

  it('names each instance that is not ready and why', () => {
    const blue = { ...track('blue', 1, 2), unready: ['blue-2 on :41234: no answer within 2000 ms'] };
    expect(printed(status(blue, track('green', 0, 0)), false)).toContain(
      'warning: blue is degraded: 1 of 2 instances ready (blue-2 on :41234: no answer within 2000 ms), and it takes 100% of the traffic',
    );
  });

  it('says how many ready pods wait at the admission gate', () => {
    const waiting = { ...track('green', 0, 2), awaitingAdmission: 2 };
    const text = printed(status(track('blue', 2, 2), waiting), false);
    expect(text).toContain('warning: green: 2 ready instances wait at the admission gate');
    expect(text).toContain('sift deploy agent');
    expect(printed(status(track('blue', 2, 2), track('green', 2, 2)), false)).not.toContain('admission');
  });
});
