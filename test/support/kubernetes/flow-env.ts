import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterEach, expect } from 'vitest';
import type { RolloutResult } from '../../../src/rollout/strategies/context.js';
import { deployCli, type DeployRun } from '../deploy-cli.js';
import { kubeEnv, waitFor, type KubeEnv } from './env.js';

/**
 * What the files of flows/ share: the seed's flows are done by `sift deploy` as a real process against the real
 * control plane, each test in a namespace of its own (with its own pod runner, which runs a real Sift per pod), so
 * the files run side by side on the one control plane without sharing state; the lock `sift deploy` takes lives
 * in the namespace too.
 */

export const FLOW_TIMEOUT = 240_000;

/**
 * Registers, in the calling file, the teardown of the namespace each test sets up, and returns the set-up: a fresh
 * namespace with both colours' objects, blue live with sift:1.0 on two ready pods, green at zero.
 */
export function flowEnv(): (prefix: string, opts?: { virtualService?: boolean }) => Promise<KubeEnv> {
  let env: KubeEnv | null = null;
  afterEach(async () => {
    await env?.close();
    env = null;
  });
  return async (prefix, opts = {}) => {
    env = await kubeEnv(prefix, {
      replicas: { blue: 2, green: 0 },
      image: 'sift:1.0',
      live: 'blue',
      ...opts,
    });
    const ready = await waitFor(env.target(), 'blue', 90_000);
    expect(ready.ok, ready.ok ? '' : ready.reason).toBe(true);
    return env;
  };
}

export const deploy = (
  e: KubeEnv,
  args: string[],
  opts: Parameters<typeof deployCli>[1] = {},
): Promise<DeployRun> =>
  deployCli([...args, '--kubeconfig', e.kubeconfig, '-n', e.namespace, '--probe', 'direct', '--json'], opts);

export const result = (r: DeployRun) => r.json<RolloutResult>();

/** The colour the Service selects. */
export async function selector(e: KubeEnv): Promise<string | undefined> {
  const svc = await e.kc
    .makeApiClient(CoreV1Api)
    .readNamespacedService({ name: 'sift', namespace: e.namespace });
  return svc.spec?.selector?.color;
}

export async function deployment(e: KubeEnv, color: 'blue' | 'green') {
  const d = await e.kc
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: `sift-${color}`, namespace: e.namespace });
  return { image: d.spec?.template.spec?.containers[0]?.image, replicas: d.spec?.replicas ?? 0 };
}

/** The VirtualService's default route weights by subset. */
export async function weights(e: KubeEnv): Promise<Record<string, number>> {
  const vs = (await e.kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace: e.namespace,
    plural: 'virtualservices',
    name: 'sift',
  })) as {
    spec: { http: { name: string; route: { destination: { subset: string }; weight?: number }[] }[] };
  };
  const route = vs.spec.http.find((r) => r.name === 'default')!;
  return Object.fromEntries(route.route.map((d) => [d.destination.subset, d.weight ?? 0]));
}
