import { ADMITTED_CONDITION } from '../../../../src/rollout/targets/kubernetes/gate.js';
import { parseDocs } from '../../../support/files.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export const objects = (yamlText: string) => parseDocs(yamlText) as unknown as K8sObject[];

interface Container {
  name: string;
  env?: { name: string }[];
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
}
export interface PodSpec {
  terminationGracePeriodSeconds?: number;
  readinessGates?: { conditionType: string }[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: { name: string; emptyDir?: unknown }[];
}
export const podSpec = (o: K8sObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;

/**
 * The invariants every rendering of Sift's workload must keep, whichever tool rendered it. Returns the problems.
 */
export function workloadProblems(all: K8sObject[], config: Record<string, string>): string[] {
  const problems: string[] = [];
  const deployments = all.filter(
    (o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'sift',
  );
  const colours = deployments.map(
    (d) => (d.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels.color,
  );
  if (colours.sort().join() !== 'blue,green')
    problems.push(`expected blue and green Deployments, got ${colours.join()}`);
  const shutdownS = Number(config.SHUTDOWN_GRACE_MS ?? 'NaN') / 1000;
  for (const d of deployments) {
    const name = d.metadata.name;
    const strategy = (d.spec as { strategy?: { rollingUpdate?: { maxUnavailable?: unknown } } }).strategy;
    if (strategy?.rollingUpdate?.maxUnavailable !== 0) problems.push(`${name}: maxUnavailable must be 0`);
    const pod = podSpec(d);
    const c = pod.containers.find((x) => x.name === 'sift');
    if (!c) {
      problems.push(`${name}: no sift container`);
      continue;
    }
    // The gate `sift deploy` opens after the release's probes (src/rollout/targets/kubernetes/gate.ts).
    if (!pod.readinessGates?.some((g) => g.conditionType === ADMITTED_CONDITION))
      problems.push(`${name}: needs the readiness gate ${ADMITTED_CONDITION}`);
    if (c.livenessProbe?.httpGet?.path !== '/health/live')
      problems.push(`${name}: liveness must probe /health/live`);
    if (c.readinessProbe?.httpGet?.path !== '/health/ready')
      problems.push(`${name}: readiness must probe /health/ready`);
    const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
    if (preStop <= 0) problems.push(`${name}: needs a preStop delay`);
    if (!((pod.terminationGracePeriodSeconds ?? 30) > preStop + shutdownS))
      problems.push(`${name}: terminationGracePeriodSeconds must exceed preStop + SHUTDOWN_GRACE_MS`);
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${name}: must run as non-root`);
    if (c.securityContext?.readOnlyRootFilesystem !== true)
      problems.push(`${name}: root filesystem must be read-only`);
    const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    for (const path of [config.DATA_DIR, '/tmp']) {
      const vol = pod.volumes?.find((v) => v.name === mounts.get(path!));
      if (!vol?.emptyDir) problems.push(`${name}: ${path} must be a writable emptyDir`);
    }
    if (!c.resources?.requests || !c.resources?.limits)
      problems.push(`${name}: needs resource requests and limits`);
    if (!c.env?.some((e) => e.name === 'JWT_SECRET'))
      problems.push(`${name}: JWT_SECRET must come from a Secret`);
  }
  const service = all.find(
    (o) =>
      o.kind === 'Service' &&
      o.metadata.name.endsWith('sift') &&
      (o.spec as { selector?: Record<string, string> }).selector?.color,
  );
  if (!service) problems.push('no Service selecting a colour');
  for (const kind of [
    'HorizontalPodAutoscaler',
    'VerticalPodAutoscaler',
    'PodDisruptionBudget',
    'Ingress',
    'NetworkPolicy',
  ]) {
    if (!all.some((o) => o.kind === kind)) problems.push(`missing ${kind}`);
  }
  for (const hpa of all.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const types = (
      (hpa.spec as { metrics: { type: string; resource?: { name: string } }[] }).metrics ?? []
    ).map((m) => m.resource?.name ?? m.type);
    for (const t of ['cpu', 'memory', 'Pods'])
      if (!types.includes(t)) problems.push(`${hpa.metadata.name}: HPA lacks ${t}`);
  }
  const ingress = all.find((o) => o.kind === 'Ingress');
  if (ingress && !ingress.metadata.annotations?.['cert-manager.io/cluster-issuer'])
    problems.push('Ingress lacks cert-manager issuer');
  if (ingress && !(ingress.spec as { tls?: unknown[] }).tls?.length) problems.push('Ingress lacks TLS');
  return problems;
}
