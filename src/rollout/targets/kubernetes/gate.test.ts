import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ADMITTED_CONDITION, awaitsAdmission, gatePatch, planGate, type GatePlan } from './gate.js';

interface PodShape {
  image?: string;
  gate?: boolean;
  containersReady?: boolean;
  admitted?: boolean;
  ready?: boolean;
  terminating?: boolean;
}

let n = 0;
function pod(shape: PodShape = {}): V1Pod {
  const conditions = [
    { type: 'ContainersReady', status: shape.containersReady === false ? 'False' : 'True' },
    { type: 'Ready', status: shape.ready ? 'True' : 'False' },
    ...(shape.admitted === undefined
      ? []
      : [{ type: ADMITTED_CONDITION, status: shape.admitted ? 'True' : 'False' }]),
  ];
  return {
    metadata: {
      name: `sift-blue-${++n}`,
      uid: `uid-${n}`,
      ...(shape.terminating ? { deletionTimestamp: new Date() } : {}),
    },
    spec: {
      containers: [{ name: 'sift', image: shape.image ?? 'sift:2.0' }],
      ...(shape.gate === false ? {} : { readinessGates: [{ conditionType: ADMITTED_CONDITION }] }),
    },
    status: { conditions },
  };
}

const rolling = { image: 'sift:2.0', betweenBatches: true };
const names = (pods: readonly V1Pod[]) => pods.map((p) => p.metadata?.name);

describe('awaitsAdmission', () => {
  it('waits only for gated pods whose containers are ready and whose gate was never set', () => {
    expect(awaitsAdmission(pod())).toBe(true);
    expect(awaitsAdmission(pod({ gate: false }))).toBe(false);
    expect(awaitsAdmission(pod({ containersReady: false }))).toBe(false);
    expect(awaitsAdmission(pod({ admitted: true }))).toBe(false);
    // Closed on purpose (the analysis between batches failed): not admitted again.
    expect(awaitsAdmission(pod({ admitted: false }))).toBe(false);
    expect(awaitsAdmission(pod({ terminating: true }))).toBe(false);
  });
});

describe('planGate', () => {
  /** The plan of a rolling release of sift:2.0 (the Deployment's template), unless told otherwise. */
  const plan = (over: Partial<GatePlan> = {}): GatePlan => ({
    container: 'sift',
    templateImage: 'sift:2.0',
    release: rolling,
    analysedServing: 0,
    ...over,
  });

  it('is idle when nothing waits', () => {
    const pods = [pod({ admitted: true, ready: true }), pod({ gate: false })];
    expect(planGate(pods, plan())).toEqual({ kind: 'idle' });
  });

  it('probes the first batch of the release at once: nothing of it serves yet', () => {
    const first = pod();
    const old = pod({ image: 'sift:1.0', admitted: true, ready: true });
    const step = planGate([old, first], plan());
    expect(step.kind).toBe('admit');
    if (step.kind === 'admit') {
      expect(names(step.probed)).toEqual(names([first]));
      expect(step.plain).toEqual([]);
    }
  });

  it('analyses a batch that serves before the next one is admitted, while old pods remain', () => {
    const serving = pod({ admitted: true, ready: true });
    const old = pod({ image: 'sift:1.0', admitted: true, ready: true });
    const next = pod();
    const step = planGate([serving, old, next], plan());
    expect(step.kind).toBe('analyse');
    if (step.kind === 'analyse') expect(names(step.serving)).toEqual(names([serving]));
    // Once analysed with that batch serving, the next batch goes in.
    expect(planGate([serving, old, next], plan({ analysedServing: 1 })).kind).toBe('admit');
  });

  it('waits for the pods the batch replaced to go before analysing it', () => {
    const serving = pod({ admitted: true, ready: true });
    const old = pod({ image: 'sift:1.0', admitted: true, ready: true });
    const leaving = pod({ image: 'sift:1.0', admitted: true, ready: true, terminating: true });
    const step = planGate([serving, old, leaving, pod()], plan());
    expect(step.kind).toBe('idle');
    if (step.kind === 'idle') expect(step.why).toContain(leaving.metadata?.name);
  });

  it('runs no analysis when no old pod remains, or when the release asked for none (blue-green)', () => {
    const serving = pod({ admitted: true, ready: true });
    expect(planGate([serving, pod()], plan()).kind).toBe('admit');
    const old = pod({ image: 'sift:1.0', admitted: true, ready: true });
    const blueGreen = plan({ release: { image: 'sift:2.0', betweenBatches: false } });
    expect(planGate([serving, old, pod()], blueGreen).kind).toBe('admit');
  });

  it('does not admit again a pod admitted already whose copy lags, yet counts the serving batch', () => {
    const justAdmitted = pod();
    expect(planGate([justAdmitted], plan({ admitted: new Set([justAdmitted.metadata!.uid!]) }))).toEqual({
      kind: 'idle',
    });
    const serving = pod({ admitted: true, ready: true });
    const old = pod({ image: 'sift:1.0', admitted: true, ready: true });
    const lagging = plan({ admitted: new Set([serving.metadata!.uid!]) });
    expect(planGate([serving, old, pod()], lagging).kind).toBe('analyse');
  });

  it("admits the template's pods on readiness alone when the release does not run their image (an undo, no release)", () => {
    const back = pod({ image: 'sift:1.0' });
    for (const release of [rolling, null]) {
      const step = planGate([back], plan({ templateImage: 'sift:1.0', release }));
      expect(step.kind).toBe('admit');
      if (step.kind === 'admit') {
        expect(names(step.plain)).toEqual(names([back]));
        expect(step.probed).toEqual([]);
      }
    }
  });

  it('never admits a pod of an outgoing template (the release right after its undo)', () => {
    const outgoing = pod({ image: 'sift:bad-search' });
    expect(planGate([outgoing], plan({ templateImage: 'sift:1.0', release: null }))).toEqual({
      kind: 'idle',
    });
    expect(planGate([outgoing], plan({ templateImage: null, release: null }))).toEqual({ kind: 'idle' });
  });
});

describe('gatePatch', () => {
  it('sets only the gate condition, which a strategic merge patch merges by type', () => {
    const now = new Date('2026-01-02T03:04:05Z');
    expect(gatePatch(true, 'Admitted', 'passed', now)).toEqual({
      status: {
        conditions: [
          {
            type: ADMITTED_CONDITION,
            status: 'True',
            reason: 'Admitted',
            message: 'passed',
            lastTransitionTime: '2026-01-02T03:04:05.000Z',
          },
        ],
      },
    });
    expect(gatePatch(false, 'AnalysisFailed', 'x').status.conditions[0]?.status).toBe('False');
  });
});
