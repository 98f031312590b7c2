import Table from 'cli-table3';
import type { Deployment } from '../types.js';
import type { ReleaseRecord, TargetState, TrafficSplit } from '../types.js';
import { COLORS } from '../types.js';

export interface DeployStatus {
  readonly target: TargetState;
  readonly traffic: TrafficSplit;
  readonly router: string;
  readonly release: ReleaseRecord | null;
}

export async function readStatus(d: Deployment): Promise<DeployStatus> {
  const [target, traffic, release] = await Promise.all([
    d.target.state(),
    d.router.current(),
    d.target.store.read(),
  ]);
  return { target, traffic, router: d.router.kind, release };
}

/** A table a person reads at a glance: one row per colour, then the last release. */
export function printStatus(out: NodeJS.WritableStream, s: DeployStatus): void {
  const table = new Table({ head: ['colour', 'image', 'ready', 'desired', 'updated', 'traffic'] });
  for (const color of COLORS) {
    const t = s.target.tracks[color];
    table.push([color, t.image ?? '-', t.ready, t.desired, t.updated, `${s.traffic[color]}%`]);
  }
  out.write(`${s.target.kind}: ${s.target.where} (traffic by ${s.router})\n${table.toString()}\n`);
  const r = s.release;
  if (!r) {
    out.write('no release recorded yet\n');
    return;
  }
  out.write(
    `last release ${r.id}: ${r.strategy} of ${r.candidate.image} on ${r.candidate.color}, ${r.phase}\n` +
      `  ${r.message}\n  started ${r.startedAt} by ${r.owner}, updated ${r.updatedAt}\n`,
  );
  if (r.phase === 'paused')
    out.write('  next: `sift deploy promote` to continue, `sift deploy abort` to go back\n');
}
