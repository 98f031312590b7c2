import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { isPodReady, isTerminating } from './rollout-status.js';

/**
 * The admission gate of Sift's pods. Their template carries a readiness gate of this condition type, so the
 * kubelet keeps a pod un-Ready (out of the Service's EndpointSlices) until someone sets the condition True on the
 * pod's status: `sift deploy`, once the pod passed the release's probes. Readiness alone says the engine answers;
 * a release whose searches answer 401 is ready, and must not take traffic.
 *
 * Pure decisions over pod objects, so the same judgement serves the release's wait, the agent and the tests.
 */
export const ADMITTED_CONDITION = 'sift.dev/admitted';

/** The pod's template asks for the gate (pods created before the gate was added to the template do not). */
export const hasGate = (pod: V1Pod): boolean =>
  (pod.spec?.readinessGates ?? []).some((g) => g.conditionType === ADMITTED_CONDITION);

const condition = (pod: V1Pod, type: string): V1PodCondition | undefined =>
  (pod.status?.conditions ?? []).find((c) => c.type === type);

export const isAdmitted = (pod: V1Pod): boolean => condition(pod, ADMITTED_CONDITION)?.status === 'True';

/** Its containers passed their readiness probes: the kubelet's own half of Ready. */
export const containersReady = (pod: V1Pod): boolean => condition(pod, 'ContainersReady')?.status === 'True';

/**
 * A pod that waits for the gate: it has one, its containers are ready, it was neither admitted nor refused
 * (a pod whose condition is False was refused on purpose: it failed the release's probes, or the analysis between
 * batches failed while it served) and is not leaving.
 */
export const awaitsAdmission = (pod: V1Pod): boolean =>
  hasGate(pod) &&
  !isTerminating(pod) &&
  containersReady(pod) &&
  condition(pod, ADMITTED_CONDITION) === undefined;

export const imageOf = (pod: V1Pod, container: string): string | null =>
  pod.spec?.containers.find((c) => c.name === container)?.image ?? null;

/** What the release gates: pods of this image pass its probes, and the analysis runs between their batches. */
export interface GateRelease {
  readonly image: string;
  /** The release asked for an analysis between batches (a rolling update). */
  readonly betweenBatches: boolean;
}

export type GateStep =
  /** Nothing to do now; `why` says what it waits for, when something waits. */
  | { readonly kind: 'idle'; readonly why?: string }
  /** The batch that serves has not been analysed yet: run the analysis before admitting another. */
  | { readonly kind: 'analyse'; readonly serving: readonly V1Pod[] }
  /**
   * Admit these: `plain` on their readiness alone (pods of another image than the release's: the version that
   * served before, e.g. after an undo, or pods created while no release ran), `probed` after the release's probes.
   */
  | { readonly kind: 'admit'; readonly plain: readonly V1Pod[]; readonly probed: readonly V1Pod[] };

export interface GatePlan {
  readonly container: string;
  /**
   * The image of the Deployment's current template. Only its pods are admitted: a pod of an outgoing template (the
   * release's pods right after an undo, an old pod's replacement) is on its way out and never takes traffic.
   */
  readonly templateImage: string | null;
  /** What the release running now asks of its pods; null between releases. */
  readonly release: GateRelease | null;
  /** How many pods of the release served when the analysis last passed (0 before the first). */
  readonly analysedServing: number;
  /** Pods (by uid) admitted already whose copy here may not show it yet: they are not admitted again. */
  readonly admitted?: ReadonlySet<string>;
}

/**
 * The next step of the gate for one colour's pods. A batch of the release is analysed once, after it serves and
 * the old pods it replaced are gone, and before the next batch is admitted, while pods of the previous image still
 * serve.
 */
export function planGate(pods: readonly V1Pod[], plan: GatePlan): GateStep {
  const { container, release, analysedServing } = plan;
  const admitted = plan.admitted ?? new Set<string>();
  const waiting = pods.filter(
    (p) =>
      awaitsAdmission(p) &&
      !admitted.has(p.metadata?.uid ?? '') &&
      plan.templateImage !== null &&
      imageOf(p, container) === plan.templateImage,
  );
  if (waiting.length === 0) return { kind: 'idle' };
  const ofRelease = (p: V1Pod) => release !== null && imageOf(p, container) === release.image;
  const plain = waiting.filter((p) => !ofRelease(p));
  const probed = waiting.filter(ofRelease);
  if (probed.length > 0 && release?.betweenBatches) {
    const live = pods.filter((p) => !isTerminating(p));
    const serving = live.filter((p) => ofRelease(p) && isAdmitted(p) && isPodReady(p));
    const old = live.filter((p) => !ofRelease(p));
    if (serving.length > analysedServing && old.length > 0) {
      const leaving = pods.filter(isTerminating);
      if (leaving.length > 0) {
        // The batch's replaced pods still drain: the analysis waits until the batch alone serves its share.
        const why = `the analysis between batches waits for ${leaving.map((p) => p.metadata?.name).join(', ')} to go`;
        return plain.length > 0 ? { kind: 'admit', plain, probed: [] } : { kind: 'idle', why };
      }
      return { kind: 'analyse', serving };
    }
  }
  return { kind: 'admit', plain, probed };
}

/** The status patch (strategic merge: conditions merge by type) that opens or closes a pod's gate. */
export function gatePatch(admitted: boolean, reason: string, message: string, now = new Date()) {
  return {
    status: {
      conditions: [
        {
          type: ADMITTED_CONDITION,
          status: admitted ? 'True' : 'False',
          reason,
          message,
          lastTransitionTime: now.toISOString(),
        },
      ],
    },
  };
}
