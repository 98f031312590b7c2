import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { BASE_DEFAULTS } from '../../../src/config/defaults.js';
import { DEPLOY } from '../../support/files.js';
import { tempDir } from '../../support/temp-dir.js';
import { kubeconform } from './support/kubeconform.js';
import { objects, workloadProblems, type K8sObject } from './support/manifests.js';
import { ensureTool, runTool } from '../../support/tools.js';

const OVERLAYS = { development: 'sift-dev', staging: 'sift-staging', production: 'sift' } as const;
type Overlay = keyof typeof OVERLAYS;

describe('Kubernetes manifests (kustomize)', { timeout: 900_000 }, () => {
  let kubectl: string;
  const work = tempDir('sift-k8s-');
  const rendered = {} as Record<Overlay, { file: string; objects: K8sObject[] }>;

  const render = async (dir: string) => {
    const args = kubectl.endsWith('kustomize') ? ['build', dir] : ['kustomize', dir];
    return runTool(kubectl, args);
  };

  beforeAll(async () => {
    [kubectl] = await Promise.all([
      ensureTool('kubectl'),
      ensureTool('kubeconform'),
      ensureTool('k8s-schemas'),
    ]);
    for (const overlay of Object.keys(OVERLAYS) as Overlay[]) {
      const r = await render(join(DEPLOY, 'k8s/overlays', overlay));
      if (r.code !== 0) throw new Error(`kustomize ${overlay} failed: ${r.stderr}`);
      const file = join(work.path, `${overlay}.yaml`);
      writeFileSync(file, r.stdout);
      rendered[overlay] = { file, objects: objects(r.stdout) };
    }
  }, 900_000);
  afterAll(() => work.remove());

  const configOf = (overlay: Overlay) =>
    rendered[overlay].objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('sift-config'),
    )!.data!;

  it.each(Object.keys(OVERLAYS) as Overlay[])(
    '%s renders and validates against Kubernetes 1.34 and CRD schemas',
    async (overlay) => {
      const v = await kubeconform([rendered[overlay].file]);
      expect(v.failures).toEqual([]);
      expect(v.code).toBe(0);
      expect(v.summary.valid).toBe(rendered[overlay].objects.length);
      expect(v.summary.skipped).toBe(0);
    },
  );

  it('validates the Secret template too', async () => {
    const v = await kubeconform([join(DEPLOY, 'k8s/base/secret.template.yaml')]);
    expect(v.failures).toEqual([]);
    expect(v.summary.valid).toBe(1);
  });

  it.each(Object.keys(OVERLAYS) as Overlay[])('%s keeps the workload invariants', (overlay) => {
    const all = rendered[overlay].objects;
    expect(workloadProblems(all, configOf(overlay))).toEqual([]);
    const namespaced = all.filter((o) => o.kind !== 'Namespace');
    expect(new Set(namespaced.map((o) => o.metadata.namespace))).toEqual(new Set([OVERLAYS[overlay]]));
  });

  it.each(Object.keys(OVERLAYS) as Overlay[])(
    "%s's ConfigMap holds only Sift settings that Sift accepts",
    (overlay) => {
      const data = configOf(overlay);
      for (const key of Object.keys(data))
        if (key !== 'ENVIRONMENT') expect(Object.keys(BASE_DEFAULTS), key).toContain(key);
      const config = loadConfig({ ...data, JWT_SECRET: 'k'.repeat(40) }, '/nonexistent/.env');
      expect(config.ENVIRONMENT).toBe(overlay);
    },
  );

  it("carries the seed's per-environment values", () => {
    const replicas = (o: Overlay) =>
      rendered[o].objects.find((x) => x.metadata.name === 'sift-blue' && x.kind === 'Deployment')!.spec!
        .replicas;
    const hpa = (o: Overlay) =>
      rendered[o].objects.find(
        (x) => x.metadata.name === 'sift-blue' && x.kind === 'HorizontalPodAutoscaler',
      )!.spec as { minReplicas: number; maxReplicas: number };
    expect([replicas('development'), replicas('staging'), replicas('production')]).toEqual([1, 2, 6]);
    expect(hpa('production')).toMatchObject({ minReplicas: 6, maxReplicas: 20 });
    expect(configOf('development')).toMatchObject({ LOG_LEVEL: 'debug', WORKERS: '1' });
    expect(configOf('staging')).toMatchObject({
      LOG_LEVEL: 'info',
      WORKERS: '2',
      ELASTICSEARCH_HOST: 'elasticsearch-staging',
    });
    expect(configOf('production')).toMatchObject({
      LOG_LEVEL: 'warn',
      WORKERS: '4',
      JWT_EXPIRE_HOURS: '8',
      ELASTICSEARCH_HOST: 'elasticsearch-cluster',
    });
    // The host each environment's Sift is told to use is a Service that environment deploys.
    for (const o of ['staging', 'production'] as const) {
      const host = configOf(o).ELASTICSEARCH_HOST;
      expect(rendered[o].objects.some((x) => x.kind === 'Service' && x.metadata.name === host)).toBe(true);
      const sts = rendered[o].objects.find((x) => x.kind === 'StatefulSet')!;
      expect((sts.spec as { serviceName: string }).serviceName).toBe('elasticsearch-headless');
    }
  });

  it('routes with Istio in production: canary weights, A/B by header, outlier detection on subsets that exist', () => {
    const all = rendered.production.objects;
    const vs = all.find((o) => o.kind === 'VirtualService')!.spec as {
      http: {
        match?: unknown[];
        route: { destination: { host: string; subset: string }; weight?: number }[];
      }[];
    };
    const dr = all.find((o) => o.kind === 'DestinationRule')!.spec as {
      host: string;
      subsets: { name: string; labels: Record<string, string> }[];
      trafficPolicy: { outlierDetection: Record<string, unknown> };
    };
    expect(dr.trafficPolicy.outlierDetection).toMatchObject({ consecutive5xxErrors: expect.any(Number) });
    const subsets = dr.subsets.map((s) => s.name);
    const weighted = vs.http.find((h) => !h.match)!.route;
    expect(weighted.reduce((n, r) => n + (r.weight ?? 0), 0)).toBe(100);
    expect(vs.http.filter((h) => h.match).length).toBeGreaterThanOrEqual(2);
    for (const h of vs.http)
      for (const r of h.route) {
        expect(subsets).toContain(r.destination.subset);
        expect(r.destination.host).toBe(dr.host);
      }
    expect(all.some((o) => o.kind === 'Service' && o.metadata.name === dr.host)).toBe(true);
  });

  it('fails validation for a misspelt field and rendering for a broken kustomization', async () => {
    const copy = join(work.path, 'k8s');
    cpSync(join(DEPLOY, 'k8s'), copy, { recursive: true });
    const deployment = join(copy, 'workload/deployment.yaml');
    writeFileSync(deployment, readFileSync(deployment, 'utf8').replace('readinessProbe:', 'readinessprobe:'));
    const r = await render(join(copy, 'overlays/production'));
    expect(r.code).toBe(0);
    const file = join(work.path, 'broken.yaml');
    writeFileSync(file, r.stdout);
    const v = await kubeconform([file]);
    expect(v.code).not.toBe(0);
    expect(v.failures.join('\n')).toContain("'readinessprobe' not allowed");

    const kustomization = join(copy, 'base/kustomization.yaml');
    writeFileSync(
      kustomization,
      readFileSync(kustomization, 'utf8').replace('  - ingress.yaml\n', '  - no-such-file.yaml\n'),
    );
    expect((await render(join(copy, 'overlays/production'))).code).not.toBe(0);
  });
});
