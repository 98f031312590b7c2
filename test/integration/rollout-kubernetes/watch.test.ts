// @services kube
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResumingWatch } from '../../../src/rollout/targets/kubernetes/watch.js';
import { eventually, kubeEnv, type KubeEnv } from '../../support/kubernetes/env.js';

// The watch under waitReady, against the real API server: requests the server ends are resumed from the last
// resourceVersion seen, without a new list and without losing an event.

describe('ResumingWatch', { timeout: 60_000 }, () => {
  let env: KubeEnv;
  let core: CoreV1Api;
  const watches: ResumingWatch<V1ConfigMap>[] = [];

  beforeAll(async () => {
    env = await kubeEnv('watch', { objects: false, pods: false });
    core = env.kc.makeApiClient(CoreV1Api);
  });
  afterAll(async () => {
    for (const w of watches) w.stop();
    await env?.close();
  });

  const configMap = (name: string) =>
    core.createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name }, data: { v: '1' } },
    });

  const watch = (timeoutSeconds: number) => {
    const w = new ResumingWatch<V1ConfigMap>({
      client: env.client(),
      path: `/api/v1/namespaces/${env.namespace}/configmaps`,
      timeoutSeconds,
      onChange: () => undefined,
    });
    watches.push(w);
    return w;
  };

  it('resumes watches the server ends and still sees every change', async () => {
    await configMap('before');
    const w = watch(1);
    await w.start();
    expect([...w.objects.keys()]).toContain('before');
    // Let the server end the watch a few times before anything changes.
    await eventually('three resumed watches', 20_000, async () => (w.stats.resumes >= 3 ? true : undefined));
    await configMap('after');
    await core.deleteNamespacedConfigMap({ name: 'before', namespace: env.namespace });
    await eventually('the watch to see the create and the delete', 20_000, async () =>
      w.objects.has('after') && !w.objects.has('before') ? true : undefined,
    );
    expect(w.stats.lists).toBe(1);
    expect(w.stats.errors).toBe(0);
  });
});
