import type {
  V1Deployment,
  V1EndpointSlice,
  V1Pod,
  V1PodTemplateSpec,
  V1ReplicaSet,
} from '@kubernetes/client-node';
import type { Color, TrackState } from '../../types.js';

/**
 * Whether a colour's Deployment has finished rolling out, judged from objects alone (no API calls), so the
 * judgement is the same whether the objects came from a list, a watch or a test.
 *
 * The core is `kubectl rollout status`: the controller has seen the latest spec (generation <= observedGeneration),
 * every replica is updated, no old replica is left, and every updated replica is available; a Progressing condition
 * with reason ProgressDeadlineExceeded fails at once. On top of that, traffic matters: no pod of an older
 * ReplicaSet may still exist (status counts skip terminating pods, which may still serve), and no EndpointSlice of
 * the Service may still list an old pod.
 */

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface RolloutObjects {
  readonly deployment: V1Deployment;
  /** ReplicaSets matching the Deployment's selector (ownership is checked here). */
  readonly replicaSets: readonly V1ReplicaSet[];
  /** Pods matching the Deployment's selector, terminating ones included. */
  readonly pods: readonly V1Pod[];
  /** EndpointSlices of the Service that carries traffic. */
  readonly slices: readonly V1EndpointSlice[];
}

export type RolloutVerdict =
  | { readonly state: 'ready'; readonly track: TrackState }
  | { readonly state: 'waiting'; readonly track: TrackState; readonly why: string }
  | { readonly state: 'failed'; readonly track: TrackState; readonly reason: string };

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } }): number | undefined {
  const raw = obj.metadata?.annotations?.[REVISION_ANNOTATION];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) ? n : undefined;
}

const ownedBy = (rs: V1ReplicaSet, deployment: V1Deployment): boolean =>
  (rs.metadata?.ownerReferences ?? []).some(
    (o) => o.kind === 'Deployment' && o.uid !== undefined && o.uid === deployment.metadata?.uid,
  );

/** ReplicaSets the Deployment owns, newest revision first. */
export function ownedReplicaSets(
  deployment: V1Deployment,
  replicaSets: readonly V1ReplicaSet[],
): V1ReplicaSet[] {
  return replicaSets
    .filter((rs) => ownedBy(rs, deployment))
    .sort((a, b) => (revisionOf(b) ?? 0) - (revisionOf(a) ?? 0));
}

/** The ReplicaSet of the Deployment's current revision (the controller stamps both with the same number). */
export function newReplicaSet(
  deployment: V1Deployment,
  replicaSets: readonly V1ReplicaSet[],
): V1ReplicaSet | undefined {
  const revision = revisionOf(deployment);
  if (revision === undefined) return undefined;
  return ownedReplicaSets(deployment, replicaSets).find((rs) => revisionOf(rs) === revision);
}

export function containerImage(template: V1PodTemplateSpec | undefined, container: string): string | null {
  return template?.spec?.containers?.find((c) => c.name === container)?.image ?? null;
}

export const isTerminating = (pod: V1Pod): boolean => Boolean(pod.metadata?.deletionTimestamp);

const hasEnded = (pod: V1Pod): boolean => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';

export const isPodReady = (pod: V1Pod): boolean =>
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

const hashOf = (obj: { metadata?: { labels?: Record<string, string> } } | undefined): string | undefined =>
  obj?.metadata?.labels?.[POD_TEMPLATE_HASH];

/** The colour's numbers as a TrackState, counted from pods so terminating ones show in `total`. */
export function describeTrack(
  color: Color,
  container: string,
  objects: Omit<RolloutObjects, 'slices'>,
): TrackState {
  const { deployment, pods } = objects;
  const hash = hashOf(newReplicaSet(deployment, objects.replicaSets));
  const current = pods.filter((p) => hash !== undefined && hashOf(p) === hash && !isTerminating(p));
  const revision = revisionOf(deployment);
  return {
    color,
    image: containerImage(deployment.spec?.template, container),
    desired: deployment.spec?.replicas ?? 1,
    updated: current.length,
    ready: current.filter(isPodReady).length,
    total: pods.length,
    ...(revision !== undefined ? { revision: String(revision) } : {}),
  };
}

/** Pods still listed by an EndpointSlice that belong to an older ReplicaSet of this Deployment. */
export function staleEndpoints(
  deploymentName: string,
  newHash: string,
  pods: readonly V1Pod[],
  slices: readonly V1EndpointSlice[],
): string[] {
  const known = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
  const stale = new Set<string>();
  for (const slice of slices) {
    for (const endpoint of slice.endpoints ?? []) {
      const ref = endpoint.targetRef;
      if (ref?.kind !== 'Pod' || !ref.name) continue;
      const pod = known.get(ref.name);
      // A pod already deleted is still old if its name says it came from another ReplicaSet of this Deployment
      // (pods are named <deployment>-<pod-template-hash>-<suffix>); pods of the other colour are not ours.
      const old = pod
        ? hashOf(pod) !== newHash
        : ref.name.startsWith(`${deploymentName}-`) && !ref.name.startsWith(`${deploymentName}-${newHash}-`);
      if (old) stale.add(ref.name);
    }
  }
  return [...stale].sort();
}

/**
 * The controller says which ReplicaSet timed out ("ReplicaSet \"x\" has timed out progressing."). When that is not
 * the current revision's ReplicaSet, the condition is left over from an earlier rollout: a rollback to an old
 * revision reuses its ReplicaSet, and the condition is only replaced at a later sync than the one that observed
 * the new generation.
 */
function staleDeadline(
  message: string | undefined,
  deployment: V1Deployment,
  objects: RolloutObjects,
): boolean {
  const named = /ReplicaSet "([^"]+)"/.exec(message ?? '')?.[1];
  const current = newReplicaSet(deployment, objects.replicaSets)?.metadata?.name;
  return named !== undefined && current !== undefined && named !== current;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function judgeRollout(color: Color, container: string, objects: RolloutObjects): RolloutVerdict {
  const { deployment, pods, slices } = objects;
  const track = describeTrack(color, container, objects);
  const name = deployment.metadata?.name ?? `${color} Deployment`;
  const waiting = (why: string): RolloutVerdict => ({ state: 'waiting', track, why });

  const generation = deployment.metadata?.generation ?? 0;
  const observed = deployment.status?.observedGeneration ?? 0;
  if (generation > observed)
    return waiting(`waiting for the controller to observe ${name} generation ${generation}`);

  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const replicas = status.replicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const complete = updated >= desired && replicas <= updated && available >= updated;
  if (!complete) {
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    if (
      progressing?.reason === 'ProgressDeadlineExceeded' &&
      !staleDeadline(progressing.message, deployment, objects)
    ) {
      // Checked only while incomplete: after a scale-down the stale condition lingers until the next sync.
      return {
        state: 'failed',
        track,
        reason: `ProgressDeadlineExceeded: ${progressing.message ?? `${name} exceeded its progress deadline`}`,
      };
    }
    if (updated < desired) return waiting(`${updated} of ${desired} updated replicas of ${name}`);
    if (replicas > updated)
      return waiting(`${plural(replicas - updated, 'old replica')} of ${name} pending termination`);
    return waiting(`${available} of ${updated} updated replicas of ${name} available`);
  }

  const fresh = newReplicaSet(deployment, objects.replicaSets);
  const newHash = hashOf(fresh);
  if (!fresh || !newHash) return waiting(`the ReplicaSet of ${name}'s current revision is not there yet`);

  const oldPods = pods.filter((p) => hashOf(p) !== newHash).map((p) => p.metadata?.name ?? '?');
  if (oldPods.length > 0) return waiting(`old pods of ${name} still exist: ${oldPods.join(', ')}`);
  const leaving = pods.filter(isTerminating).map((p) => p.metadata?.name ?? '?');
  if (leaving.length > 0) return waiting(`pods of ${name} still terminating: ${leaving.join(', ')}`);

  // The Deployment's status can be ahead of the pods as they were listed or watched: after a scale-down it says
  // 0 replicas while the pod it scaled away is not yet marked for deletion in our view (seen on a loaded test
  // machine). Pods that ended (Failed, Succeeded) are not the controller's to remove, so they do not count.
  const extra = pods.filter((p) => !isTerminating(p) && !hasEnded(p)).length - desired;
  if (extra > 0)
    return waiting(
      `${plural(extra, 'pod')} of ${name} beyond its ${plural(desired, 'replica')} still running`,
    );

  const stale = staleEndpoints(name, newHash, pods, slices);
  if (stale.length > 0) return waiting(`EndpointSlices still list old pods of ${name}: ${stale.join(', ')}`);

  return { state: 'ready', track };
}
