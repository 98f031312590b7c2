import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isSiftError } from '../../../errors.js';
import { planUndo } from './undo.js';

const UID = 'uid-blue';

const deployment = (
  revision: number | undefined,
  annotations: Record<string, string> = {},
): V1Deployment => ({
  metadata: {
    name: 'sift-blue',
    uid: UID,
    resourceVersion: '42',
    annotations: {
      ...(revision !== undefined ? { 'deployment.kubernetes.io/revision': String(revision) } : {}),
      ...annotations,
    },
  },
  spec: { selector: { matchLabels: { color: 'blue' } }, template: { spec: { containers: [] } } },
});

const rs = (revision: number, image: string, owner = UID): V1ReplicaSet => ({
  metadata: {
    name: `sift-blue-h${revision}`,
    annotations: { 'deployment.kubernetes.io/revision': String(revision) },
    ownerReferences: [{ kind: 'Deployment', uid: owner, name: 'sift-blue', apiVersion: 'apps/v1' }],
  },
  spec: {
    selector: { matchLabels: { color: 'blue' } },
    template: {
      metadata: { labels: { color: 'blue', 'pod-template-hash': `h${revision}` } },
      spec: { containers: [{ name: 'sift', image }] },
    },
  },
});

describe('planUndo', () => {
  it('puts back the template of the highest revision below the current one, without its hash label', () => {
    const plan = planUndo(deployment(5, { team: 'search' }), [
      rs(2, 'sift:0.9'),
      rs(5, 'sift:2.0'),
      rs(4, 'sift:1.0'),
      rs(4, 'sift:other', 'not-ours'),
    ]);
    expect(plan).toMatchObject({ fromRevision: 5, toRevision: 4 });
    expect(plan.patch[0]).toEqual({ op: 'test', path: '/metadata/resourceVersion', value: '42' });
    expect(plan.patch[1]).toEqual({
      op: 'replace',
      path: '/spec/template',
      value: {
        metadata: { labels: { color: 'blue' } },
        spec: { containers: [{ name: 'sift', image: 'sift:1.0' }] },
      },
    });
    expect(plan.patch[2]).toMatchObject({
      op: 'add',
      path: '/metadata/annotations',
      value: { team: 'search', 'kubernetes.io/change-cause': 'sift deploy: undo to revision 4' },
    });
  });

  it('refuses with DEPLOY_NO_RELEASE when there is no earlier revision', () => {
    for (const [d, sets] of [
      [deployment(1), [rs(1, 'sift:1.0')]],
      [deployment(undefined), []],
    ] as const) {
      let err: unknown;
      try {
        planUndo(d, sets);
      } catch (e) {
        err = e;
      }
      expect(isSiftError(err) && err.code).toBe('DEPLOY_NO_RELEASE');
      expect((err as Error).message).toContain('sift-blue');
    }
  });
});
