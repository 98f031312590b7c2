// @services kube
import { Watch, type V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor, type KubeEnv } from '../../support/kubernetes/env.js';
import { FLOW_TIMEOUT, flowEnv, deploy, result, deployment } from '../../support/kubernetes/flow-env.js';

/**
 * The admission gate of a rolling release on the real control plane, done by `sift deploy` as a real process (every
 * pod runs a real Sift, and the pod runner honours readiness gates as the kubelet does): a release that is ready
 * but answers searches with 401 never has a pod in the Service's EndpointSlices and is undone; a good release is
 * admitted batch by batch with the analysis between the batches.
 */

const GATE = 'sift.dev/admitted';

interface Seen {
  /** Pod name -> image, for every pod seen. */
  readonly images: Map<string, string>;
  /** Pod name -> when the test first saw its gate True. */
  readonly admittedAt: Map<string, number>;
  /** Pods whose containers were ever seen ready (the readiness probe passed). */
  readonly containersReady: Set<string>;
  /** Pods ever seen Ready. */
  readonly ready: Set<string>;
  /** Gated pods seen Ready while their gate was not True: the gate did not hold. */
  readonly readyUnadmitted: Set<string>;
  stop(): void;
}

/** Watches the namespace's pods for the whole release and remembers what ever happened. */
async function observe(e: KubeEnv): Promise<Seen> {
  const seen: Omit<Seen, 'stop'> = {
    images: new Map(),
    admittedAt: new Map(),
    containersReady: new Set(),
    ready: new Set(),
    readyUnadmitted: new Set(),
  };
  const watch = new Watch(e.kc);
  const pods = await watch.watch(
    `/api/v1/namespaces/${e.namespace}/pods`,
    {},
    (_type: string, pod: V1Pod) => {
      const name = pod.metadata?.name ?? '';
      seen.images.set(name, pod.spec?.containers[0]?.image ?? '');
      const conditions = pod.status?.conditions ?? [];
      if (conditions.some((c) => c.type === GATE && c.status === 'True') && !seen.admittedAt.has(name))
        seen.admittedAt.set(name, Date.now());
      if (conditions.some((c) => c.type === 'ContainersReady' && c.status === 'True'))
        seen.containersReady.add(name);
      if (conditions.some((c) => c.type === 'Ready' && c.status === 'True')) {
        seen.ready.add(name);
        const gated = pod.spec?.readinessGates?.some((g) => g.conditionType === GATE);
        if (gated && !conditions.some((c) => c.type === GATE && c.status === 'True'))
          seen.readyUnadmitted.add(name);
      }
    },
    () => undefined,
  );
  return {
    ...seen,
    stop() {
      pods.abort();
    },
  };
}

/** The ISO timestamps of the progress lines (stderr) that contain `text`. */
const linesAt = (stderr: string, text: string): number[] =>
  stderr
    .split('\n')
    .filter((l) => l.includes(text))
    .map((l) => Date.parse(l.slice(0, l.indexOf(' '))));

describe('sift deploy on Kubernetes: the rolling release gate', { timeout: FLOW_TIMEOUT }, () => {
  const setup = flowEnv();
  let seen: Seen | null = null;
  afterEach(() => {
    seen?.stop();
    seen = null;
  });

  it('keeps a ready release whose searches fail out of the Service, and undoes it', async () => {
    const e = await setup('gate-bad');
    seen = await observe(e);
    const bad = await deploy(e, ['rolling', '--image', 'sift:bad-search', '--ready-timeout', '60s']);
    expect(bad.code, bad.stderr).toBe(3);
    const r = result(bad);
    expect(r.outcome).toBe('rolled-back');
    expect(r.reason).toMatch(
      /failed the release's probe \/api\/search\?q=test before taking traffic \(answered 401/,
    );
    expect(r.actions).toContain('undid the last change of blue');

    const after = await waitFor(e.target(), 'blue', 60_000);
    expect(after.ok, after.ok ? '' : after.reason).toBe(true);
    expect(after.track).toMatchObject({ image: 'sift:1.0', ready: 2, total: 2 });
    const badPods = [...seen.images].filter(([, image]) => image === 'sift:bad-search').map(([name]) => name);
    // The release did start a pod of the broken version, and its containers got ready (its health is fine) ...
    expect(badPods.length).toBeGreaterThan(0);
    expect(badPods.filter((p) => seen!.containersReady.has(p))).toEqual(badPods);
    // ... but it was never admitted and never Ready: no endpoint of the Service ever sent it a request.
    expect(badPods.filter((p) => seen!.admittedAt.has(p))).toEqual([]);
    expect(badPods.filter((p) => seen!.ready.has(p))).toEqual([]);
    expect([...seen.readyUnadmitted]).toEqual([]);
    expect((await deployment(e, 'blue')).image).toBe('sift:1.0');
  });

  it('admits a good release batch by batch, with the analysis between the batches', async () => {
    const e = await setup('gate-good');
    seen = await observe(e);
    const ok = await deploy(e, ['rolling', '--image', 'sift:2.0']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await deployment(e, 'blue')).toEqual({ image: 'sift:2.0', replicas: 2 });

    const admitted = [...seen.admittedAt]
      .filter(([name]) => seen!.images.get(name) === 'sift:2.0')
      .sort((a, b) => a[1] - b[1]);
    // Each was Ready (an endpoint taking traffic) only once admitted.
    for (const [name] of admitted) expect(seen.ready).toContain(name);
    expect([...seen.readyUnadmitted]).toEqual([]);
    expect(admitted).toHaveLength(2);
    // Two pods, one at a time (maxSurge 1): one analysis between them, after the first took its share and before
    // the second was let in.
    const analyses = linesAt(ok.stderr, 'checking blue between batches');
    expect(analyses, ok.stderr).toHaveLength(1);
    expect(analyses[0]!).toBeGreaterThan(admitted[0]![1]);
    expect(analyses[0]!).toBeLessThan(admitted[1]![1]);
    expect(result(ok).measurements.length).toBeGreaterThan(0);
  });
});
