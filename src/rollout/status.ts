import { COLORS, type Deployment, type ReleaseRecord, type TargetState, type TrafficSplit } from './types.js';

/** What `sift deploy status` shows: both colours, where traffic goes, and the last release. */
export interface DeployStatus {
  readonly target: TargetState;
  readonly traffic: TrafficSplit;
  readonly router: string;
  readonly release: ReleaseRecord | null;
  /** What an operator should know before releasing: a colour running below its size. */
  readonly warnings: string[];
}

/** A colour running fewer ready instances than it asks for serves with less capacity; a release from it starts degraded. */
export function statusWarnings(target: TargetState, traffic: TrafficSplit): string[] {
  const out: string[] = [];
  for (const color of COLORS) {
    const t = target.tracks[color];
    if (t.desired > 0 && t.ready < t.desired) {
      const share = traffic[color] > 0 ? `, and it takes ${traffic[color]}% of the traffic` : '';
      const why = t.unready?.length ? ` (${t.unready.join('; ')})` : '';
      out.push(`${color} is degraded: ${t.ready} of ${t.desired} instances ready${why}${share}`);
    }
    // Ready pods kept out of the Service by the gate: nothing admits them while no release and no agent runs.
    if (t.awaitingAdmission)
      out.push(
        `${color}: ${t.awaitingAdmission} ready ${t.awaitingAdmission === 1 ? 'instance waits' : 'instances wait'} at the admission gate (is \`sift deploy agent\` running?)`,
      );
  }
  return out;
}

export async function readStatus(d: Deployment): Promise<DeployStatus> {
  const [target, traffic, release] = await Promise.all([
    d.target.state(),
    d.router.current(),
    d.target.store.read(),
  ]);
  return { target, traffic, router: d.router.kind, release, warnings: statusWarnings(target, traffic) };
}
