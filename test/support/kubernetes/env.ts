import type { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../src/rollout/platform/kubernetes/client.js';
import {
  KubernetesTarget,
  type KubernetesTargetOptions,
} from '../../../src/rollout/targets/kubernetes/target.js';
import type { Color, ReadyResult } from '../../../src/rollout/types.js';
import { kubeconfigPath, testKubeConfig, testNamespace, type TestNamespace } from './kube.js';
import { siftReleases, startPodRunner, type PodRunner } from './kube-pods.js';
import { createSiftObjects, type SiftObjectsOptions } from './fixture.js';

/**
 * One namespace of the real test control plane with Sift's objects in it and, when pods are wanted, the pod runner
 * that runs a real Sift per pod. Everything is torn down by close(), which is safe after a failed setup.
 */
export interface KubeEnv {
  readonly kubeconfig: string;
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly runner: PodRunner | null;
  /** A target over this namespace; direct probes unless told otherwise (pod IPs are loopback: no proxying). */
  target(options?: KubernetesTargetOptions): KubernetesTarget;
  client(options?: { dryRun?: boolean }): KubeClient;
  close(): Promise<void>;
}

export async function kubeEnv(
  prefix: string,
  options: SiftObjectsOptions & { pods?: boolean; objects?: boolean } = {},
): Promise<KubeEnv> {
  const kubeconfig = kubeconfigPath();
  const kc = testKubeConfig(kubeconfig);
  const ns: TestNamespace = await testNamespace(prefix, { kubeconfig: kc });
  let runner: PodRunner | null = null;
  const close = async (): Promise<void> => {
    await runner?.stop();
    await ns.cleanup();
  };
  try {
    if (options.objects !== false) await createSiftObjects(kc, ns.name, options);
    if (options.pods !== false) {
      runner = await startPodRunner({ kubeconfig: kc, namespace: ns.name, releases: await siftReleases() });
    }
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return {
    kubeconfig,
    kc,
    namespace: ns.name,
    runner,
    target: (o = {}) =>
      new KubernetesTarget({
        kubeconfig,
        namespace: ns.name,
        probe: 'direct',
        ...(options.app ? { app: options.app } : {}),
        ...o,
      }),
    client: (o = {}) => new KubeClient({ kubeconfig, namespace: ns.name, ...o }),
    close,
  };
}

export const waitFor = (target: KubernetesTarget, color: Color, timeoutMs: number): Promise<ReadyResult> =>
  target.waitReady(color, { timeoutMs, signal: new AbortController().signal });

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
