import type { V1Deployment, V1EndpointSlice, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { describeTrack, judgeRollout, staleEndpoints, type RolloutObjects } from './rollout-status.js';

// Fabricated objects shaped like the API server's, for the pure judgement only; the real control plane is
// exercised in test/integration/rollout-kubernetes and test/e2e/rollout-kubernetes.

const UID = 'uid-green';

function deployment(over: {
  replicas?: number;
  generation?: number;
  observed?: number;
  revision?: number;
  status?: V1Deployment['status'];
}): V1Deployment {
  return {
    metadata: {
      name: 'sift-green',
      uid: UID,
      generation: over.generation ?? 2,
      annotations: { 'deployment.kubernetes.io/revision': String(over.revision ?? 2) },
    },
    spec: {
      replicas: over.replicas ?? 2,
      selector: { matchLabels: { color: 'green' } },
      template: { spec: { containers: [{ name: 'sift', image: 'sift:2.0' }] } },
    },
    status: { observedGeneration: over.observed ?? 2, ...over.status },
  };
}

const rs = (hash: string, revision: number, owner = UID): V1ReplicaSet => ({
  metadata: {
    name: `sift-green-${hash}`,
    labels: { 'pod-template-hash': hash },
    annotations: { 'deployment.kubernetes.io/revision': String(revision) },
    ownerReferences: [{ kind: 'Deployment', uid: owner, name: 'sift-green', apiVersion: 'apps/v1' }],
  },
});

const pod = (hash: string, suffix: string, opts: { ready?: boolean; terminating?: boolean } = {}): V1Pod => ({
  metadata: {
    name: `sift-green-${hash}-${suffix}`,
    labels: { 'pod-template-hash': hash, color: 'green' },
    ...(opts.terminating ? { deletionTimestamp: new Date() } : {}),
  },
  spec: { containers: [{ name: 'sift', image: hash === 'new' ? 'sift:2.0' : 'sift:1.0' }] },
  status: { conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
});

const slice = (...podNames: string[]): V1EndpointSlice => ({
  addressType: 'FQDN',
  metadata: { name: 'sift-abc', labels: { 'kubernetes.io/service-name': 'sift' } },
  endpoints: podNames.map((name) => ({ addresses: [`${name}.example`], targetRef: { kind: 'Pod', name } })),
});

const done = { replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 };
const sets = [rs('old', 1), rs('new', 2)];

const objects = (over: Partial<RolloutObjects> = {}): RolloutObjects => ({
  deployment: deployment({ status: done }),
  replicaSets: sets,
  pods: [pod('new', 'a'), pod('new', 'b')],
  slices: [],
  ...over,
});

describe('judgeRollout', () => {
  it('is ready when every kubectl condition holds and nothing old is left', () => {
    const v = judgeRollout('green', 'sift', objects());
    expect(v.state).toBe('ready');
    expect(v.track).toEqual({
      color: 'green',
      image: 'sift:2.0',
      desired: 2,
      updated: 2,
      ready: 2,
      total: 2,
      revision: '2',
    });
  });

  it('waits until the controller has observed the latest generation', () => {
    const v = judgeRollout(
      'green',
      'sift',
      objects({ deployment: deployment({ generation: 3, status: done }) }),
    );
    expect(v).toMatchObject({ state: 'waiting', why: expect.stringContaining('generation 3') });
  });

  it('waits for updated, then old replicas, then availability', () => {
    const cases: [V1Deployment['status'], string][] = [
      [{ replicas: 2, updatedReplicas: 1, availableReplicas: 2 }, '1 of 2 updated replicas'],
      [
        { replicas: 3, updatedReplicas: 2, availableReplicas: 2 },
        '1 old replica of sift-green pending termination',
      ],
      [
        { replicas: 2, updatedReplicas: 2, availableReplicas: 1 },
        '1 of 2 updated replicas of sift-green available',
      ],
    ];
    for (const [status, why] of cases) {
      const v = judgeRollout('green', 'sift', objects({ deployment: deployment({ status }) }));
      expect(v).toMatchObject({ state: 'waiting', why: expect.stringContaining(why) });
    }
  });

  it('fails at once with ProgressDeadlineExceeded while the rollout is incomplete', () => {
    const status = {
      replicas: 2,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "sift-green-new" has timed out progressing.',
        },
      ],
    };
    const v = judgeRollout('green', 'sift', objects({ deployment: deployment({ status }) }));
    expect(v.state).toBe('failed');
    if (v.state === 'failed') expect(v.reason).toMatch(/^ProgressDeadlineExceeded: .*timed out progressing/);
  });

  it('ignores a stale ProgressDeadlineExceeded once the counts say the rollout is complete', () => {
    const status = {
      ...done,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    };
    expect(judgeRollout('green', 'sift', objects({ deployment: deployment({ status }) })).state).toBe(
      'ready',
    );
  });

  it('ignores a ProgressDeadlineExceeded naming a ReplicaSet of an earlier revision (a rollback under way)', () => {
    const status = (name: string) => ({
      replicas: 2,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${name}" has timed out progressing.`,
        },
      ],
    });
    const earlier = judgeRollout(
      'green',
      'sift',
      objects({ deployment: deployment({ status: status('sift-green-old') }) }),
    );
    expect(earlier).toMatchObject({ state: 'waiting', why: expect.stringContaining('1 of 2 updated') });
    const current = judgeRollout(
      'green',
      'sift',
      objects({ deployment: deployment({ status: status('sift-green-new') }) }),
    );
    expect(current.state).toBe('failed');
  });

  it('waits while a pod of an older ReplicaSet still exists, even terminating', () => {
    const v = judgeRollout(
      'green',
      'sift',
      objects({ pods: [pod('new', 'a'), pod('new', 'b'), pod('old', 'z', { terminating: true })] }),
    );
    expect(v).toMatchObject({ state: 'waiting', why: expect.stringContaining('sift-green-old-z') });
    expect(v.track).toMatchObject({ updated: 2, ready: 2, total: 3 });
  });

  it('waits while a pod of the current ReplicaSet is still terminating (scale-down)', () => {
    const v = judgeRollout(
      'green',
      'sift',
      objects({
        deployment: deployment({
          replicas: 1,
          status: { replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
        }),
        pods: [pod('new', 'a'), pod('new', 'b', { terminating: true })],
      }),
    );
    expect(v).toMatchObject({ state: 'waiting', why: expect.stringContaining('terminating') });
  });

  it('waits while an EndpointSlice lists an old pod, and not for pods of the other colour', () => {
    const stale = judgeRollout(
      'green',
      'sift',
      objects({ slices: [slice('sift-green-new-a', 'sift-green-old-z')] }),
    );
    expect(stale).toMatchObject({ state: 'waiting', why: expect.stringContaining('sift-green-old-z') });
    const other = judgeRollout(
      'green',
      'sift',
      objects({ slices: [slice('sift-blue-abc-x', 'sift-green-new-a')] }),
    );
    expect(other.state).toBe('ready');
  });

  it('waits for the ReplicaSet of the current revision to appear', () => {
    const v = judgeRollout(
      'green',
      'sift',
      objects({ replicaSets: [rs('old', 1), rs('new', 2, 'someone-else')] }),
    );
    expect(v).toMatchObject({ state: 'waiting', why: expect.stringContaining('ReplicaSet') });
  });

  it('is ready at zero replicas once every pod is gone', () => {
    const zero = deployment({ replicas: 0, status: {} });
    expect(judgeRollout('green', 'sift', objects({ deployment: zero, pods: [] })).state).toBe('ready');
    const leaving = judgeRollout(
      'green',
      'sift',
      objects({ deployment: zero, pods: [pod('new', 'a', { terminating: true })] }),
    );
    expect(leaving.state).toBe('waiting');
    expect(leaving.track).toMatchObject({ desired: 0, updated: 0, total: 1 });
  });

  it('waits while a pod is still running beyond the replicas the status already counts (a watch behind)', () => {
    // The controller scaled to 0 and said so before the pod's deletion reached this view of the pods.
    const zero = deployment({ replicas: 0, status: {} });
    const behind = judgeRollout('green', 'sift', objects({ deployment: zero, pods: [pod('new', 'a')] }));
    expect(behind).toMatchObject({
      state: 'waiting',
      why: expect.stringContaining('1 pod of sift-green beyond'),
    });
    // A pod that ended is left to the garbage collector, not waited for.
    const ended = { ...pod('new', 'a'), status: { phase: 'Failed' } };
    expect(judgeRollout('green', 'sift', objects({ deployment: zero, pods: [ended] })).state).toBe('ready');
  });
});

describe('staleEndpoints', () => {
  it('names old pods by label when known and by name when already deleted', () => {
    const pods = [pod('new', 'a'), pod('old', 'z')];
    const slices = [slice('sift-green-new-a', 'sift-green-old-z', 'sift-green-gone-q', 'sift-blue-x-1')];
    expect(staleEndpoints('sift-green', 'new', pods, slices)).toEqual([
      'sift-green-gone-q',
      'sift-green-old-z',
    ]);
  });
});

describe('describeTrack', () => {
  it('counts only ready pods of the current ReplicaSet as ready', () => {
    const t = describeTrack('green', 'sift', {
      deployment: deployment({ status: done }),
      replicaSets: sets,
      pods: [pod('new', 'a'), pod('new', 'b', { ready: false }), pod('old', 'z')],
    });
    expect(t).toMatchObject({ updated: 2, ready: 1, total: 3, image: 'sift:2.0' });
  });
});
