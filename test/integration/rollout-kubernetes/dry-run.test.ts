// @services kube
import { AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiftError } from '../../../src/errors.js';
import { ServiceSelectorRouter } from '../../../src/rollout/traffic/service-selector.js';
import { VirtualServiceRouter } from '../../../src/rollout/traffic/virtual-service.js';
import { kubeEnv, type KubeEnv } from '../../support/kubernetes/env.js';

// --dry-run on Kubernetes is the API server's own dry run (dryRun=All): every write is sent, validated and
// admitted, and nothing is stored. Read back, nothing changed: the Deployments' generations, and the other
// objects' resourceVersions.

const codeOf = (p: Promise<unknown>): Promise<string | null> =>
  p.then(
    () => null,
    (e: unknown) => (isSiftError(e) ? e.code : String(e)),
  );

describe('Kubernetes server-side dry run', { timeout: 60_000 }, () => {
  let env: KubeEnv;

  beforeAll(async () => {
    env = await kubeEnv('dry-run', { replicas: { blue: 0, green: 0 }, pods: false, virtualService: true });
  });
  afterAll(async () => env?.close());

  const snapshot = async () => {
    const apps = env.kc.makeApiClient(AppsV1Api);
    const core = env.kc.makeApiClient(CoreV1Api);
    const custom = env.kc.makeApiClient(CustomObjectsApi);
    const deployments = await apps.listNamespacedDeployment({ namespace: env.namespace });
    const service = await core.readNamespacedService({ name: 'sift', namespace: env.namespace });
    const vs = (await custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: env.namespace,
      plural: 'virtualservices',
      name: 'sift',
    })) as { metadata: { resourceVersion: string } };
    const configMaps = await core.listNamespacedConfigMap({ namespace: env.namespace });
    const leases = await env.kc
      .makeApiClient(CoordinationV1Api)
      .listNamespacedLease({ namespace: env.namespace });
    return {
      deployments: deployments.items.map((d) => ({
        name: d.metadata?.name,
        // The generation counts changes to the spec, which a write would make; the resourceVersion also moves
        // when the Deployment controller records status, which it may still be doing after the set-up.
        generation: d.metadata?.generation,
        image: d.spec?.template.spec?.containers[0]?.image,
        replicas: d.spec?.replicas,
      })),
      service: { rv: service.metadata?.resourceVersion, color: service.spec?.selector?.color },
      vs: vs.metadata.resourceVersion,
      configMaps: configMaps.items.map((c) => c.metadata?.name).sort(),
      leases: leases.items.map((l) => l.metadata?.name),
    };
  };

  it('sends every write as a dry run and changes nothing', async () => {
    const before = await snapshot();
    const target = env.target({ dryRun: true });
    const client = env.client({ dryRun: true });

    await target.setImage('blue', 'sift:2.0');
    await target.scale('blue', 3);
    await target.store.write({
      id: 'r-dry',
      strategy: 'canary',
      phase: 'progressing',
      stable: { color: 'blue', image: 'sift:1.0' },
      candidate: { color: 'green', image: 'sift:2.0' },
      startedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      message: 'dry',
      owner: 'dry@run',
    });
    const lock = await target.store.lock('dry@run');
    await lock.release();
    await new ServiceSelectorRouter({ client }).switchTo('green');
    await new VirtualServiceRouter({ client }).setWeight('green', 30);

    expect(await snapshot()).toEqual(before);
    expect(before.service.color).toBe('blue');
    expect(await target.store.read()).toBeNull();
  });

  it('still asks the server, so what would fail fails', async () => {
    const missing = env.target({ dryRun: true, app: 'nosuch' });
    expect(await codeOf(missing.setImage('blue', 'sift:2.0'))).toBe('DEPLOY_INVALID');
    expect(await codeOf(missing.scale('blue', 1))).toBe('DEPLOY_INVALID');
    const held = await env.target().store.lock('real@holder');
    try {
      expect(await codeOf(env.target({ dryRun: true }).store.lock('dry@run'))).toBe('DEPLOY_LOCKED');
    } finally {
      await held.release();
    }
  });
});
