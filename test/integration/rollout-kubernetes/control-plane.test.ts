// @services kube
import http from 'node:http';
import https from 'node:https';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../support/net.js';
import { testKubeConfig, testNamespace, type TestNamespace } from '../../support/kubernetes/kube.js';
import { siftReleases, startPodRunner, type PodRunner } from '../../support/kubernetes/kube-pods.js';

/**
 * The testbed itself: a real kube-apiserver, controller manager and etcd with KWOK nodes (scripts/services/kube.sh)
 * and the pod runner that plays the kubelet (test/support/kubernetes/kube-pods.ts). What the Kubernetes target's tests rely on.
 */

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const PRE_STOP_S = 5;

const isReady = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** GET over a fresh connection: the status, or null when nothing answers. */
function statusOf(url: string, timeoutMs = 1000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

function deployment(name: string, image: string, port: number, replicas: number): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          // Longer than any test here waits: a pod that goes in time was removed by the runner, not by KWOK's deadline.
          terminationGracePeriodSeconds: 300,
          containers: [
            {
              name: 'sift',
              image,
              ports: [{ name: 'http', containerPort: port }],
              // Settings from a ConfigMap and a Secret, as the real manifests take theirs; the tests see their effect.
              envFrom: [{ configMapRef: { name: 'sift-config' } }],
              env: [
                {
                  name: 'MAX_QUERY_LENGTH',
                  valueFrom: { secretKeyRef: { name: 'sift-secrets', key: 'max-query-length' } },
                },
              ],
              readinessProbe: { httpGet: { path: '/health/ready', port: 'http' }, periodSeconds: 1 },
              lifecycle: { preStop: { sleep: { seconds: PRE_STOP_S } } },
            },
          ],
        },
      },
    },
  };
}

const barePod = (name: string, image: string, port: number): V1Pod => ({
  metadata: { name, labels: { app: name } },
  spec: { containers: [{ name: 'sift', image, ports: [{ containerPort: port }] }] },
});

describe('the test Kubernetes control plane', { timeout: 180_000 }, () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let ns: TestNamespace;
  let runner: PodRunner;
  let port: number;

  const pods = async (app: string): Promise<V1Pod[]> =>
    (await core.listNamespacedPod({ namespace: ns.name, labelSelector: `app=${app}` })).items;

  beforeAll(async () => {
    kc = testKubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    ns = await testNamespace('testbed');
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'sift-config' }, data: { MAX_PAGE_SIZE: '7' } },
    });
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: 'sift-secrets' }, stringData: { 'max-query-length': '64' } },
    });
    runner = await startPodRunner({ kubeconfig: kc, namespace: ns.name, releases: await siftReleases() });
    // A port nothing listens on, so no other server on this machine holds it on every address.
    port = await freePort();
  }, 300_000);

  afterAll(async () => {
    // The namespace goes first, while the runner still stops the processes and removes their pods quickly.
    await ns?.cleanup();
    if (ns)
      await waitFor(
        async () => (await core.listNamespacedPod({ namespace: ns.name })).items.length === 0,
        30_000,
      ).catch(() => undefined);
    await runner?.stop();
  }, 90_000);

  it('runs a Deployment on KWOK nodes: loopback pod IPs, real Sift, Ready only once the process answers', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: deployment('web', 'sift:1.0', port, 2),
    });

    // Sample the pods and their addresses until the Deployment is available, remembering for each pod whether it
    // was ever seen Running with an IP but neither Ready nor answering, and whether it was ever Ready while not
    // answering (which must never happen).
    const seenWaiting = new Set<string>();
    const readyWithoutAnswer: string[] = [];
    let available = false;
    const deadline = Date.now() + 120_000;
    while (!available && Date.now() < deadline) {
      for (const pod of await pods('web')) {
        const ip = pod.status?.podIP;
        if (!ip || pod.metadata?.deletionTimestamp) continue;
        const url = `http://${ip}:${port}/health/ready`;
        if (isReady(pod)) {
          // Generous: a busy machine may answer slowly, but a ready pod must answer.
          const answer = await statusOf(url, 5000);
          if (answer !== 200) readyWithoutAnswer.push(`${pod.metadata!.name} (${answer})`);
        } else if ((await statusOf(url, 500)) === null) seenWaiting.add(pod.metadata!.name!);
      }
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
      available =
        (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
        d.status?.updatedReplicas === 2 &&
        d.status?.availableReplicas === 2;
      if (!available) await new Promise((r) => setTimeout(r, 150));
    }
    expect(available, `Deployment not available; runner: ${JSON.stringify(runner.processes())}`).toBe(true);

    const running = await pods('web');
    expect(running).toHaveLength(2);
    expect(readyWithoutAnswer).toEqual([]);
    for (const pod of running) {
      const name = pod.metadata!.name!;
      expect(seenWaiting, `${name} was never seen Running but not yet ready`).toContain(name);
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-[01]$/);
      expect(pod.status?.podIP).toMatch(LOOPBACK);
      expect(pod.status?.hostIP).toMatch(LOOPBACK);
      for (const { ip } of pod.status?.podIPs ?? []) expect(ip).toMatch(LOOPBACK);
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'sift', ready: true, started: true });

      // A real Sift answers on the pod's address with the bundled sample, configured from the ConfigMap and Secret.
      const base = `http://${pod.status!.podIP}:${port}/api/search`;
      const res = await fetch(`${base}?q=react&size=7`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { total: number }).total).toBeGreaterThan(0);
      expect(await statusOf(`${base}?q=react&size=8`)).toBe(400);
      expect(await statusOf(`${base}?q=${'a'.repeat(65)}`)).toBe(400);
    }
    const procs = runner.processes();
    expect(procs.map((p) => p.address).sort()).toEqual(
      running.map((p) => `${p.status!.podIP}:${port}`).sort(),
    );
    expect(procs.every((p) => p.ready && p.image === 'sift:1.0' && !p.terminating)).toBe(true);
  });

  it('deletes a pod gracefully: preStop, then Sift drains and exits, the pod goes, a replacement becomes ready', async () => {
    const [victim] = await pods('web');
    const uid = victim!.metadata!.uid!;
    const address = `${victim!.status!.podIP}:${port}`;
    await core.deleteNamespacedPod({ name: victim!.metadata!.name!, namespace: ns.name });
    // During the preStop sleep the process has not been told to stop: it still reports ready.
    expect(await statusOf(`http://${address}/health/ready`)).toBe(200);

    // Long before the 300 s grace period: the runner removes the pod as soon as Sift has drained.
    await waitFor(async () => !(await pods('web')).some((p) => p.metadata?.uid === uid), 60_000);
    expect(runner.processes().some((p) => p.uid === uid)).toBe(false);
    expect(await statusOf(`http://${address}/health/live`)).not.toBe(200);

    await waitFor(async () => {
      const now = await pods('web');
      return now.length === 2 && now.every(isReady);
    }, 90_000);
  });

  it('keeps sift:not-ready and unknown images unready, and serves sift:bad-search ready with failing searches', async () => {
    for (const [name, image] of [
      ['not-ready', 'sift:not-ready'],
      ['bad-search', 'sift:bad-search'],
      ['unknown', 'registry.example/none:1'],
    ] as const) {
      await core.createNamespacedPod({ namespace: ns.name, body: barePod(name, image, port) });
    }
    const ipOf = async (name: string) =>
      (await core.readNamespacedPod({ name, namespace: ns.name })).status?.podIP ?? '';

    // bad-search: ready (its health is fine) but anonymous searches are refused.
    await waitFor(
      async () => isReady(await core.readNamespacedPod({ name: 'bad-search', namespace: ns.name })),
      90_000,
    );
    const badSearch = await statusOf(`http://${await ipOf('bad-search')}:${port}/api/search?q=test`);
    expect(badSearch).toBe(401);

    // not-ready: the process lives and answers, its readiness fails, so the pod stays unready.
    const notReadyUrl = `http://${await ipOf('not-ready')}:${port}`;
    await waitFor(async () => (await statusOf(`${notReadyUrl}/health/live`)) === 200, 90_000);
    expect(await statusOf(`${notReadyUrl}/health/ready`, 5000)).toBe(503);
    await new Promise((r) => setTimeout(r, 3000)); // several probe periods
    for (const name of ['not-ready', 'unknown']) {
      const pod = await core.readNamespacedPod({ name, namespace: ns.name });
      expect(pod.status?.phase, name).toBe('Running');
      expect(isReady(pod), name).toBe(false);
    }
    expect(runner.processes().map((p) => p.pod)).not.toContain('unknown');
    expect(runner.processes().find((p) => p.pod === 'not-ready')?.ready).toBe(false);
  });

  it('honours readiness gates as the kubelet does: Ready only when the containers are ready and every gate is True', async () => {
    const gate = 'sift.dev/admitted';
    const gated: V1Pod = {
      metadata: { name: 'gated', labels: { app: 'gated' } },
      spec: {
        readinessGates: [{ conditionType: gate }],
        containers: [{ name: 'sift', image: 'sift:1.0', ports: [{ containerPort: port }] }],
      },
    };
    await core.createNamespacedPod({ namespace: ns.name, body: gated });
    const read = () => core.readNamespacedPod({ name: 'gated', namespace: ns.name });
    const conditionOf = (pod: V1Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type);
    await waitFor(async () => conditionOf(await read(), 'ContainersReady')?.status === 'True', 90_000);
    await new Promise((r) => setTimeout(r, 2000)); // several probe periods: the gate keeps it un-Ready
    const closed = await read();
    expect(isReady(closed)).toBe(false);
    expect(conditionOf(closed, 'Ready')?.reason).toBe('ReadinessGatesNotReady');

    const setGate = (status: 'True' | 'False') =>
      core.patchNamespacedPodStatus(
        {
          name: 'gated',
          namespace: ns.name,
          body: { status: { conditions: [{ type: gate, status, lastTransitionTime: new Date() }] } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    await setGate('True');
    await waitFor(async () => isReady(await read()), 10_000);
    expect(conditionOf(await read(), 'ContainersReady')?.status).toBe('True');
    await setGate('False');
    await waitFor(async () => !isReady(await read()), 10_000);
    // Containers still ready: only the gate took it out.
    expect(conditionOf(await read(), 'ContainersReady')?.status).toBe('True');
  });

  it('serves the Istio VirtualService and DestinationRule CRDs (v1), which refuse strategic merge patches', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const group = 'networking.istio.io';
    const version = 'v1';
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: ns.name,
      plural: 'destinationrules',
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'DestinationRule',
        metadata: { name: 'sift' },
        spec: {
          host: 'sift',
          subsets: [
            { name: 'blue', labels: { color: 'blue' } },
            { name: 'green', labels: { color: 'green' } },
          ],
        },
      },
    });
    const route = (blue: number) => [
      { destination: { host: 'sift', subset: 'blue' }, weight: blue },
      { destination: { host: 'sift', subset: 'green' }, weight: 100 - blue },
    ];
    await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: ns.name,
      plural: 'virtualservices',
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'VirtualService',
        metadata: { name: 'sift' },
        spec: { hosts: ['sift'], http: [{ name: 'primary', route: route(90) }] },
      },
    });
    const patch = { spec: { http: [{ name: 'primary', route: route(40) }] } };
    const params = {
      group,
      version,
      namespace: ns.name,
      plural: 'virtualservices',
      name: 'sift',
      body: patch,
    };
    await expect(
      custom.patchNamespacedCustomObject(
        params,
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    ).rejects.toMatchObject({ code: 415 });
    await custom.patchNamespacedCustomObject(
      params,
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const vs = (await custom.getNamespacedCustomObject({
      group,
      version,
      namespace: ns.name,
      plural: 'virtualservices',
      name: 'sift',
    })) as { spec: { http: { route: { weight: number }[] }[] } };
    expect(vs.spec.http[0]!.route.map((r) => r.weight)).toEqual([40, 60]);
  });

  it('gives Services loopback cluster IPs; the EndpointSlice controller cannot publish loopback pod IPs', async () => {
    const svc = await core.createNamespacedService({
      namespace: ns.name,
      body: {
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: port }] },
      },
    });
    expect(svc.spec?.clusterIP).toMatch(/^127\.43\.0\.\d+$/);

    // The API server refuses endpoint addresses in 127.0.0.0/8 (ValidateEndpointIP), so the controller's
    // create fails, it reports why on the Service and retries; no EndpointSlice ever lists the pods.
    const events = async () =>
      (
        await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.name=web' })
      ).items.filter(
        (e) => e.involvedObject.kind === 'Service' && e.reason === 'FailedToUpdateEndpointSlices',
      );
    await waitFor(async () => (await events()).length > 0, 30_000);
    expect((await events())[0]!.message).toMatch(/may not be in the loopback range/);
    const slices = await kc
      .makeApiClient(DiscoveryV1Api)
      .listNamespacedEndpointSlice({ namespace: ns.name, labelSelector: 'kubernetes.io/service-name=web' });
    expect(slices.items.flatMap((s) => s.endpoints ?? [])).toEqual([]);
  });

  it("refuses the API server's pod proxy to loopback pods (probes must go to the pod IP directly)", async () => {
    const [pod] = await pods('web');
    const path = `/api/v1/namespaces/${ns.name}/pods/${pod!.metadata!.name}:${port}/proxy/health/ready`;
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(new URL(kc.getCurrentCluster()!.server + path), opts, (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
    expect(body).toContain('address not allowed');
  });
});
