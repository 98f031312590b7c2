import type { Deployment, ReleaseRecord, TargetState, TrafficSplit } from './types.js';

/** What `sift deploy status` shows: both colours, where traffic goes, and the last release. */
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
