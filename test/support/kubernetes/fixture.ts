import { readFileSync } from 'node:fs';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { Color } from '../../../src/rollout/types.js';

/**
 * The objects `sift deploy` drives, built from the shipped manifests (deploy/k8s) and trimmed to what the test
 * control plane has: no ServiceAccount `sift`, ConfigMap or Secret (KWOK runs no container; the pod runner runs
 * Sift itself), no minReadySeconds or long grace periods that would only slow the tests down.
 */

export interface SiftObjectsOptions {
  readonly app?: string;
  /** Replicas of each colour. */
  readonly replicas?: Partial<Record<Color, number>>;
  readonly image?: string;
  /** Also create the VirtualService (the Istio CRDs are installed in the test control plane). */
  readonly virtualService?: boolean;
  /** The colour the Service selects (and the VirtualService's default route sends everything to). */
  readonly live?: Color;
}

const read = <T>(path: string): T => parse(readFileSync(path, 'utf8')) as T;

export function deploymentFor(color: Color, opts: SiftObjectsOptions = {}): V1Deployment {
  const app = opts.app ?? 'sift';
  const d = read<V1Deployment>('deploy/k8s/workload/deployment.yaml');
  const labels = { 'app.kubernetes.io/name': app, color };
  d.metadata = { name: `${app}-${color}`, labels: { ...d.metadata?.labels, ...labels } };
  const spec = d.spec!;
  spec.replicas = opts.replicas?.[color] ?? 2;
  spec.minReadySeconds = 0;
  spec.progressDeadlineSeconds = 600;
  spec.selector = { matchLabels: labels };
  spec.template.metadata = {
    ...spec.template.metadata,
    labels: { ...spec.template.metadata?.labels, ...labels },
  };
  const pod = spec.template.spec!;
  delete pod.serviceAccountName;
  delete pod.topologySpreadConstraints;
  pod.terminationGracePeriodSeconds = 5;
  const container = pod.containers[0]!;
  container.image = opts.image ?? 'sift:1.0';
  delete container.envFrom;
  delete container.env;
  delete container.lifecycle;
  delete container.startupProbe;
  delete container.livenessProbe;
  container.readinessProbe = {
    httpGet: { path: '/health/ready', port: 8000 },
    periodSeconds: 1,
    timeoutSeconds: 2,
    failureThreshold: 2,
  };
  return d;
}

export function serviceFor(opts: SiftObjectsOptions = {}): V1Service {
  const app = opts.app ?? 'sift';
  const s = read<V1Service>('deploy/k8s/base/service.yaml');
  s.metadata = { ...s.metadata, name: app, labels: { 'app.kubernetes.io/name': app } };
  s.spec!.selector = { 'app.kubernetes.io/name': app, color: opts.live ?? 'blue' };
  // The test control plane's Service range is loopback; a ClusterIP is allocated from it.
  s.spec!.ports = [{ name: 'http', port: 80, targetPort: 8000, protocol: 'TCP' }];
  return s;
}

export function virtualServiceFor(opts: SiftObjectsOptions = {}): Record<string, unknown> {
  const app = opts.app ?? 'sift';
  const vs = read<{
    metadata: Record<string, unknown>;
    spec: { http: { name: string; route: unknown[] }[] };
  }>('deploy/k8s/istio/virtualservice.yaml');
  vs.metadata = { name: app };
  const live = opts.live ?? 'blue';
  const route = vs.spec.http.find((r) => r.name === 'default')!;
  route.route = [
    { destination: { host: `${app}-mesh`, subset: 'blue' }, weight: live === 'blue' ? 100 : 0 },
    { destination: { host: `${app}-mesh`, subset: 'green' }, weight: live === 'green' ? 100 : 0 },
  ];
  return vs;
}

/** Creates both colours' Deployments, the Service and (optionally) the VirtualService in `namespace`. */
export async function createSiftObjects(kc: KubeConfig, namespace: string, opts: SiftObjectsOptions = {}) {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedService({ namespace, body: serviceFor(opts) });
  for (const color of ['blue', 'green'] as const) {
    await apps.createNamespacedDeployment({ namespace, body: deploymentFor(color, opts) });
  }
  if (opts.virtualService) {
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace,
      plural: 'virtualservices',
      body: virtualServiceFor(opts),
    });
  }
}
