import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { BASE_DEFAULTS } from '../../../src/config/defaults.js';
import { DEPLOY, readText } from '../../support/files.js';
import { tempDir } from '../../support/temp-dir.js';
import { kubeconform, KUBERNETES_VERSION } from './support/kubeconform.js';
import { objects, workloadProblems, type K8sObject } from './support/manifests.js';
import { ensureTool, runTool } from '../../support/tools.js';

const CHART = join(DEPLOY, 'helm/sift');
const VALUES = {
  development: [],
  staging: ['-f', 'values-staging.yaml'],
  production: ['-f', 'values-production.yaml'],
} as const;
type Env = keyof typeof VALUES;
const ENVS = Object.keys(VALUES) as Env[];

describe('Helm chart', { timeout: 900_000 }, () => {
  let helm: string;
  const work = tempDir('sift-helm-');
  const rendered = {} as Record<Env, { file: string; objects: K8sObject[] }>;
  const template = (chart: string, extra: readonly string[]) =>
    runTool(
      helm,
      ['template', 'sift', chart, '--namespace', 'sift', '--kube-version', KUBERNETES_VERSION, ...extra],
      { cwd: chart },
    );

  beforeAll(async () => {
    [helm] = await Promise.all([ensureTool('helm'), ensureTool('kubeconform'), ensureTool('k8s-schemas')]);
    for (const env of ENVS) {
      const r = await template(CHART, VALUES[env]);
      if (r.code !== 0) throw new Error(`helm template (${env}) failed: ${r.stderr}`);
      const file = join(work.path, `${env}.yaml`);
      writeFileSync(file, r.stdout);
      rendered[env] = { file, objects: objects(r.stdout) };
    }
  }, 900_000);
  afterAll(() => work.remove());

  it.each(ENVS)('passes `helm lint --strict` with the %s values', async (env) => {
    const r = await runTool(helm, ['lint', '--strict', '.', ...VALUES[env]], { cwd: CHART });
    expect(r.stdout).toContain('0 chart(s) failed');
    expect(r.code).toBe(0);
  });

  it.each(ENVS)('renders valid objects with the %s values (kubeconform, strict)', async (env) => {
    const v = await kubeconform([rendered[env].file]);
    expect(v.failures).toEqual([]);
    expect(v.summary.valid).toBe(rendered[env].objects.length);
  });

  it.each(ENVS)('keeps the workload invariants with the %s values', (env) => {
    const all = rendered[env].objects;
    const config = all.find((o) => o.kind === 'ConfigMap')!.data!;
    expect(workloadProblems(all, config)).toEqual([]);
    for (const key of Object.keys(config))
      if (key !== 'ENVIRONMENT') expect(Object.keys(BASE_DEFAULTS), key).toContain(key);
    expect(loadConfig({ ...config, JWT_SECRET: 'h'.repeat(40) }, '/nonexistent/.env').ENVIRONMENT).toBe(env);
  });

  it('has a `helm test` hook, NOTES.txt and a values schema', () => {
    const hook = rendered.production.objects.find((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test');
    expect(hook?.kind).toBe('Pod');
    expect(readText('deploy/helm/sift/templates/NOTES.txt')).toContain('helm test');
    expect(JSON.parse(readText('deploy/helm/sift/values.schema.json'))).toHaveProperty('properties.env');
  });

  it('uses an existing Secret in production and creates none', () => {
    const all = rendered.production.objects;
    expect(all.some((o) => o.kind === 'Secret')).toBe(false);
    const dep = all.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-blue'))!;
    expect(JSON.stringify(dep)).toContain('"name":"sift-secrets"');
  });

  it('fails lint for values the schema refuses, and template for a broken template', async () => {
    const badValues = await runTool(
      helm,
      ['lint', '.', '--set', 'istio.canaryWeight=150', '--set', 'activeColor=red'],
      { cwd: CHART },
    );
    expect(badValues.code).not.toBe(0);
    expect(badValues.stdout + badValues.stderr).toMatch(/canaryWeight|activeColor/);

    const copy = join(work.path, 'chart');
    cpSync(CHART, copy, { recursive: true });
    const svc = join(copy, 'templates/service.yaml');
    writeFileSync(
      svc,
      readFileSync(svc, 'utf8').replace('{{ .Values.service.port }}', '{{ .Values.service.port }'),
    );
    expect((await template(copy, [])).code).not.toBe(0);
  });
});
