// @services kube
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeEnv, waitFor, type KubeEnv } from '../../support/kubernetes/env.js';

/**
 * The Kubernetes target's admission gate, driven in-process: when the analysis between two batches fails, the
 * batch that serves leaves the Service at once (its gate closes) and the next batch is never admitted.
 */

const condition = (pod: V1Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type);

describe('Kubernetes target: the analysis between batches', { timeout: 180_000 }, () => {
  let env: KubeEnv | null = null;
  afterEach(async () => {
    await env?.close();
    env = null;
  });

  it('stops at the first failed analysis: the serving batch leaves the Service, the next one never enters', async () => {
    const e = (env = await kubeEnv('gate-batches', { replicas: { blue: 2, green: 0 }, image: 'sift:1.0' }));
    const target = e.target();
    const first = await waitFor(target, 'blue', 90_000);
    expect(first.ok, first.ok ? '' : first.reason).toBe(true);

    const analysed: string[][] = [];
    await target.setImage('blue', 'sift:2.0', {
      admission: ['/health/ready', '/api/search?q=test'],
      betweenBatches: async () => {
        analysed.push((await target.instances('blue')).filter((i) => i.ready).map((i) => i.image ?? ''));
        return 'error ratio 0.4 (want <= 0.01)';
      },
    });
    const r = await waitFor(target, 'blue', 120_000);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('stopped between batches: error ratio 0.4 (want <= 0.01)');
    // One analysis, with the first batch (one new pod) serving beside the old pod that remained.
    expect(analysed).toHaveLength(1);
    expect(analysed[0]!.sort()).toEqual(['sift:1.0', 'sift:2.0']);

    const pods = (await e.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: e.namespace })).items;
    const released = pods.filter((p) => p.spec?.containers[0]?.image === 'sift:2.0');
    expect(released).toHaveLength(2);
    const [closed, waiting] = [
      released.find((p) => condition(p, 'sift.dev/admitted')),
      released.find((p) => !condition(p, 'sift.dev/admitted')),
    ];
    expect(condition(closed!, 'sift.dev/admitted')).toMatchObject({
      status: 'False',
      reason: 'AnalysisFailed',
    });
    expect(waiting, 'the second batch waits, never admitted').toBeDefined();
    // Ready follows the gate (the pod runner, as the kubelet): neither release pod is Ready a moment later.
    await new Promise((res) => setTimeout(res, 1500));
    const now = (await e.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: e.namespace })).items;
    const readyReleased = now.filter(
      (p) => p.spec?.containers[0]?.image === 'sift:2.0' && condition(p, 'Ready')?.status === 'True',
    );
    expect(readyReleased.map((p) => p.metadata?.name)).toEqual([]);

    // The strategy's undo then brings the colour back on sift:1.0, admitted on readiness.
    await target.undo('blue');
    const back = await waitFor(target, 'blue', 120_000);
    expect(back.ok, back.ok ? '' : back.reason).toBe(true);
    expect(back.track).toMatchObject({ image: 'sift:1.0', ready: 2, total: 2 });
  });
});
