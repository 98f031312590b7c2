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
  problems.push(...agentProblems(all, deployments));
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

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * With the gate on, pods created between releases are admitted by `sift deploy agent`: it must be shipped as a
 * Deployment of its own (not gated itself), with an account bound to a Role that may patch pods/status and read
 * what the agent reads, and a token to use it.
 */
function agentProblems(all: K8sObject[], sift: K8sObject[]): string[] {
  if (!sift.some((d) => podSpec(d).readinessGates?.some((g) => g.conditionType === ADMITTED_CONDITION)))
    return [];
  const agent = all.find(
    (o) =>
      o.kind === 'Deployment' &&
      podSpec(o).containers.some((c) => {
        const args = (c as { args?: string[] }).args ?? [];
        return args[0] === 'deploy' && args[1] === 'agent';
      }),
  );
  if (!agent) return ['the pods are gated but no Deployment runs `sift deploy agent`'];
  const problems: string[] = [];
  const pod = podSpec(agent) as PodSpec & { serviceAccountName?: string };
  if (pod.readinessGates?.length) problems.push('the agent must not wait at the gate it opens');
  const account = pod.serviceAccountName;
  const sa = all.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === account);
  if (!sa) problems.push(`the agent's ServiceAccount ${account} is missing`);
  else if ((sa as { automountServiceAccountToken?: boolean }).automountServiceAccountToken === false)
    problems.push("the agent's ServiceAccount mounts no token");
  const binding = all.find(
    (o) =>
      o.kind === 'RoleBinding' &&
      (o as { subjects?: { kind: string; name: string }[] }).subjects?.some(
        (x) => x.kind === 'ServiceAccount' && x.name === account,
      ),
  ) as (K8sObject & { roleRef: { kind: string; name: string } }) | undefined;
  const role = binding
    ? (all.find((o) => o.kind === binding.roleRef.kind && o.metadata.name === binding.roleRef.name) as
        (K8sObject & { rules: Rule[] }) | undefined)
    : undefined;
  if (!role) return [...problems, "no Role is bound to the agent's ServiceAccount"];
  const may = (group: string, resource: string, verb: string) =>
    role.rules.some(
      (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
    );
  if (!may('', 'pods/status', 'patch')) problems.push('the agent may not patch pods/status');
  for (const [group, resource] of [
    ['apps', 'deployments'],
    ['apps', 'replicasets'],
    ['', 'pods'],
    ['coordination.k8s.io', 'leases'],
  ] as const) {
    if (!may(group, resource, 'get') || !may(group, resource, 'list'))
      problems.push(`the agent may not read ${resource}`);
  }
  return problems;
}
