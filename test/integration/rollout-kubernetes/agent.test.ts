// @services kube
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { runKubernetesAgent } from '../../../src/rollout/targets/kubernetes/agent.js';
import { eventually, kubeEnv, waitFor, type KubeEnv } from '../../support/kubernetes/env.js';

/**
 * Pods the controller creates while no release runs (here a scale-up; a crash replacement is the same) carry the
 * admission gate too: `sift deploy agent` admits them once they answered the probe paths, and leaves a colour
 * alone while a release holds the deploy lock (the release admits its own pods, with its analysis).
 */

const condition = (pod: V1Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type)?.status;

describe('sift deploy agent on Kubernetes', { timeout: 180_000 }, () => {
  let env: KubeEnv | null = null;
  afterEach(async () => {
    await env?.close();
    env = null;
  });

  it('admits a pod created between releases after its probes, and not while a release holds the lock', async () => {
    const e = (env = await kubeEnv('gate-agent', { replicas: { blue: 1, green: 0 }, image: 'sift:1.0' }));
    const target = e.target();
    const first = await waitFor(target, 'blue', 90_000);
    expect(first.ok, first.ok ? '' : first.reason).toBe(true);

    const core = e.kc.makeApiClient(CoreV1Api);
    await e.kc
      .makeApiClient(AppsV1Api)
      .patchNamespacedDeploymentScale(
        { name: 'sift-blue', namespace: e.namespace, body: { spec: { replicas: 2 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    const newcomer = await eventually('the scale-up pod with its containers ready', 90_000, async () => {
      const pods = (await core.listNamespacedPod({ namespace: e.namespace })).items;
      return pods.find((p) => condition(p, 'ContainersReady') === 'True' && condition(p, 'Ready') !== 'True');
    });
    const name = newcomer.metadata!.name!;
    const read = () => core.readNamespacedPod({ name, namespace: e.namespace });
    // `sift deploy status` says so while nothing admits it.
    expect((await target.state()).tracks.blue).toMatchObject({ ready: 1, awaitingAdmission: 1 });

    const runFor = async (ms: number, admission: string[]) => {
      const stop = new AbortController();
      const log: string[] = [];
      const running = runKubernetesAgent(target, {
        intervalMs: 200,
        admission,
        signal: stop.signal,
        log: (l) => log.push(l),
      });
      await new Promise((r) => setTimeout(r, ms));
      stop.abort();
      await running;
      return log;
    };

    // A path the pod does not answer with 2xx: refused, and it stays out.
    const refusedLog = await runFor(3000, ['/api/no-such-route']);
    expect(refusedLog.join('\n')).toMatch(
      new RegExp(`${name} failed the release's probe /api/no-such-route`),
    );
    expect(condition(await read(), 'Ready')).not.toBe('True');

    // A release holds the lock: its pods are its own.
    const lock = await target.store.lock('a release');
    const lockedLog = await runFor(2000, ['/health/ready', '/api/search?q=test']);
    expect(lockedLog.join('\n')).toContain('a release runs (a release)');
    expect(condition(await read(), 'sift.dev/admitted')).toBeUndefined();
    await lock.release();

    const admittedLog = await runFor(2000, ['/health/ready', '/api/search?q=test']);
    expect(admittedLog).toContain(`blue: admitted ${name}`);
    await eventually('the admitted pod Ready', 10_000, async () =>
      condition(await read(), 'Ready') === 'True' ? true : undefined,
    );
    expect((await target.state()).tracks.blue.awaitingAdmission).toBeUndefined();
  });
});
