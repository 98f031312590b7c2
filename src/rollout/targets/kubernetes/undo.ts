import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { SiftError } from '../../../errors.js';
import { ownedReplicaSets, POD_TEMPLATE_HASH, revisionOf } from './rollout-status.js';

/**
 * `kubectl rollout undo` without kubectl: the previous revision is the ReplicaSet with the highest revision below
 * the Deployment's current one; its pod template (minus the pod-template-hash label the controller added) goes
 * back into the Deployment, which the controller then rolls out as a new revision.
 */

export interface UndoPlan {
  readonly fromRevision: number;
  readonly toRevision: number;
  /** A JSON patch guarded by the Deployment's resourceVersion, so a concurrent change makes it fail, not mix. */
  readonly patch: readonly { op: string; path: string; value?: unknown }[];
}

export function previousReplicaSet(
  deployment: V1Deployment,
  replicaSets: readonly V1ReplicaSet[],
): V1ReplicaSet | undefined {
  const current = revisionOf(deployment);
  if (current === undefined) return undefined;
  return ownedReplicaSets(deployment, replicaSets).find((rs) => (revisionOf(rs) ?? 0) < current);
}

function templateWithoutHash(template: V1PodTemplateSpec): V1PodTemplateSpec {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH];
  }
  return copy;
}

export function planUndo(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): UndoPlan {
  const name = deployment.metadata?.name ?? 'Deployment';
  const current = revisionOf(deployment);
  const previous = previousReplicaSet(deployment, replicaSets);
  if (current === undefined || !previous?.spec?.template) {
    throw new SiftError(
      'DEPLOY_NO_RELEASE',
      `Deployment ${name} has no previous revision to go back to (current revision ${current ?? 'none'})`,
      { deployment: name },
    );
  }
  const changeCause = 'kubernetes.io/change-cause';
  const annotations = { ...(deployment.metadata?.annotations ?? {}) };
  annotations[changeCause] = `sift deploy: undo to revision ${revisionOf(previous)}`;
  return {
    fromRevision: current,
    toRevision: revisionOf(previous) ?? 0,
    patch: [
      { op: 'test', path: '/metadata/resourceVersion', value: deployment.metadata?.resourceVersion },
      { op: 'replace', path: '/spec/template', value: templateWithoutHash(previous.spec.template) },
      // `add` replaces an existing member and creates a missing one.
      { op: 'add', path: '/metadata/annotations', value: annotations },
    ],
  };
}
