// @services kube
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesTarget } from '../../../src/rollout/targets/kubernetes/target.js';
import type { ReadyResult, TrackState } from '../../../src/rollout/types.js';
import { eventually, kubeEnv, waitFor, type KubeEnv } from '../../support/kubernetes/env.js';

// waitReady against the real controllers, where `kubectl rollout status` would already say "successfully rolled
// out": an old pod that lingers (held by a finalizer) and an EndpointSlice that still lists an old pod must keep
// the wait going, and the wait must survive its watches ending every second.

const HOLD = 'sift.test/hold';

describe('Kubernetes target: readiness beyond kubectl rollout status', { timeout: 240_000 }, () => {
  let env: KubeEnv;
  let target: KubernetesTarget;
  let apps: AppsV1Api;
  let core: CoreV1Api;

  beforeAll(async () => {
    env = await kubeEnv('wait-ready', { replicas: { blue: 1, green: 0 } });
    // Watches the server ends after 1 s: every wait below is a chain of resumed watches.
    target = env.target({ watchTimeoutSeconds: 1 });
    apps = env.kc.makeApiClient(AppsV1Api);
    core = env.kc.makeApiClient(CoreV1Api);
    const first = await waitFor(target, 'blue', 90_000);
    expect(first.ok, first.ok ? '' : first.reason).toBe(true);
  }, 120_000);

  afterAll(async () => {
    if (!env) return;
    // A held pod would keep the namespace from going away.
    const pods = await core.listNamespacedPod({ namespace: env.namespace }).catch(() => ({ items: [] }));
    for (const p of pods.items) {
      if (p.metadata?.finalizers?.includes(HOLD))
        await setFinalizers(p.metadata.name!, []).catch(() => undefined);
    }
    await env.close();
  });

  const setFinalizers = (pod: string, finalizers: string[]) =>
    core.patchNamespacedPod(
      { name: pod, namespace: env.namespace, body: { metadata: { finalizers } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

  /** What `kubectl rollout status` checks, read from the live Deployment. */
  const kubectlSaysDone = async (): Promise<true | undefined> => {
    const d = await apps.readNamespacedDeployment({ name: 'sift-blue', namespace: env.namespace });
    const s = d.status ?? {};
    const want = d.spec?.replicas ?? 1;
    const done =
      (d.metadata?.generation ?? 0) <= (s.observedGeneration ?? 0) &&
      (s.updatedReplicas ?? 0) === want &&
      (s.replicas ?? 0) === (s.updatedReplicas ?? 0) &&
      (s.availableReplicas ?? 0) === (s.updatedReplicas ?? 0);
    return done ? true : undefined;
  };

  it('keeps waiting while a pod of the old ReplicaSet still exists, and resolves once it is gone', async () => {
    const [old] = await target.instances('blue');
    await setFinalizers(old!.id, [HOLD]);
    const resumesBefore = target.watchStats.resumes;
    await target.setImage('blue', 'sift:2.0');

    const seen: TrackState[] = [];
    let settled: ReadyResult | undefined;
    const waiting = target
      .waitReady('blue', {
        timeoutMs: 120_000,
        signal: new AbortController().signal,
        onProgress: (t) => seen.push(t),
      })
      .then((r) => (settled = r));

    await eventually('kubectl rollout status to call sift-blue done', 90_000, kubectlSaysDone);
    const lingering = await core.readNamespacedPod({ name: old!.id, namespace: env.namespace });
    expect(lingering.metadata?.deletionTimestamp).toBeDefined();

    // A short wait of its own says exactly why it is not done.
    const short = await waitFor(target, 'blue', 3_000);
    expect(short.ok).toBe(false);
    if (!short.ok) expect(short.reason).toContain(`old pods of sift-blue still exist: ${old!.id}`);
    expect(settled).toBeUndefined();

    await setFinalizers(old!.id, []);
    const result = await waiting;
    expect(result.ok, result.ok ? '' : result.reason).toBe(true);
    expect(result.track).toMatchObject({ image: 'sift:2.0', desired: 1, ready: 1, total: 1 });
    // The old pod was visible to the wait (two pods while the new one was already ready).
    expect(seen.some((t) => t.total === 2 && t.ready === 1)).toBe(true);
    expect(target.watchStats.resumes).toBeGreaterThan(resumesBefore);
  });

  it('keeps waiting while an EndpointSlice of the Service lists an old pod, until the slice is gone', async () => {
    const discovery = env.kc.makeApiClient(DiscoveryV1Api);
    const [old] = await target.instances('blue');
    // The API server refuses loopback IPs in EndpointSlices, so this slice names the pod by FQDN (allowed for
    // that address type) with a targetRef to it, as a slice of a real cluster would by IP.
    await discovery.createNamespacedEndpointSlice({
      namespace: env.namespace,
      body: {
        metadata: { name: 'sift-held', labels: { 'kubernetes.io/service-name': 'sift' } },
        addressType: 'FQDN',
        endpoints: [
          {
            addresses: [`${old!.id}.pods.example`],
            targetRef: { kind: 'Pod', name: old!.id, namespace: env.namespace },
            conditions: { ready: true },
          },
        ],
        ports: [{ name: 'http', port: 8000, protocol: 'TCP' }],
      },
    });
    await target.setImage('blue', 'sift:1.0');
    // The new pods wait at their readiness gate until a wait of the target admits them: this one does, and
    // resolves only once the slice is gone, like the waits below.
    const admitting = waitFor(target, 'blue', 120_000);
    await eventually(
      'kubectl rollout status to call sift-blue done and the old pod gone',
      90_000,
      async () => {
        if (!(await kubectlSaysDone())) return undefined;
        const pods = await core.listNamespacedPod({ namespace: env.namespace });
        return pods.items.some((p) => p.metadata?.name === old!.id) ? undefined : true;
      },
    );

    const short = await waitFor(target, 'blue', 3_000);
    expect(short.ok).toBe(false);
    if (!short.ok)
      expect(short.reason).toContain(`EndpointSlices still list old pods of sift-blue: ${old!.id}`);

    const waiting = waitFor(target, 'blue', 60_000);
    await new Promise((r) => setTimeout(r, 1_500));
    await discovery.deleteNamespacedEndpointSlice({ name: 'sift-held', namespace: env.namespace });
    const result = await waiting;
    expect(result.ok, result.ok ? '' : result.reason).toBe(true);
    expect(result.track.image).toBe('sift:1.0');
    expect((await admitting).ok).toBe(true);
  });

  it('probes through the API server pod proxy, reporting its refusal of loopback pod IPs as a failed measurement', async () => {
    const proxied = env.target({ probe: 'proxy' });
    const [pod] = await proxied.instances('blue');
    const viaProxy = await proxied.probe(pod!, '/health/live', 5_000);
    expect(viaProxy.ok).toBe(false);
    expect(viaProxy.status).not.toBeNull();
    expect(viaProxy.error).toContain('address not allowed');
    // The same pod answers directly, so the refusal is the proxy's, not the pod's.
    expect(await target.probe(pod!, '/health/live', 5_000)).toMatchObject({ ok: true, status: 200 });
    // A pod that does not exist: the API server's 404, again a measurement.
    const missing = await proxied.probe({ ...pod!, id: 'sift-blue-nope-x' }, '/health/live', 5_000);
    expect(missing).toMatchObject({ ok: false, status: 404 });
    expect(missing.error).toContain('not found');
  });
});

describe('Kubernetes target: a release that never gets ready', { timeout: 300_000 }, () => {
  let env: KubeEnv;

  beforeAll(async () => {
    env = await kubeEnv('progress-deadline', { replicas: { blue: 0, green: 1 } });
  }, 120_000);
  afterAll(async () => env?.close());

  it('fails with ProgressDeadlineExceeded as soon as the controller reports it, and undo recovers', async () => {
    const target = env.target();
    const healthy = await waitFor(target, 'green', 90_000);
    expect(healthy.ok, healthy.ok ? '' : healthy.reason).toBe(true);

    // A rolling update to an image that never gets ready: the surge pod never becomes available, the old pod
    // stays (maxUnavailable 0), and after 5 s without progress the controller says so. (The deadline applies to
    // rollouts only: scaling up a Deployment whose last rollout completed is never judged by it.)
    // A deadline this short would fail the first rollout already (a Sift takes longer to start): set it now.
    await env.kc
      .makeApiClient(AppsV1Api)
      .patchNamespacedDeployment(
        { name: 'sift-green', namespace: env.namespace, body: { spec: { progressDeadlineSeconds: 5 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await target.setImage('green', 'sift:not-ready');
    const result = await waitFor(target, 'green', 150_000);
    expect(result.ok).toBe(false);
    // Our own timeout would read "timed out after ...": this is the controller's verdict, reported as it came.
    if (!result.ok) expect(result.reason).toMatch(/^ProgressDeadlineExceeded: /);
    expect(result.track).toMatchObject({ image: 'sift:not-ready', desired: 1, ready: 0, total: 2 });

    await target.undo('green');
    const back = await waitFor(target, 'green', 90_000);
    expect(back.ok, back.ok ? '' : back.reason).toBe(true);
    expect(back.track).toMatchObject({ image: 'sift:1.0', desired: 1, ready: 1, total: 1 });

    await target.scale('green', 0);
    const gone = await waitFor(target, 'green', 60_000);
    expect(gone.ok, gone.ok ? '' : gone.reason).toBe(true);
    expect(gone.track).toMatchObject({ desired: 0, total: 0 });
  });
});
