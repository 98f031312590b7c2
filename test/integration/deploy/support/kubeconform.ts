import { ensureTool, runTool, type ToolResult } from '../../../support/tools.js';

/** The Kubernetes version whose OpenAPI schemas the manifests are checked against (see scripts/tools/ensure.sh). */
export const KUBERNETES_VERSION = '1.34.4';

export interface Validation extends ToolResult {
  summary: { valid: number; invalid: number; errors: number; skipped: number };
  failures: string[];
}

/**
 * Validates manifests (files, or '-' for stdin is not used) strictly against the generated Kubernetes and CRD
 * schemas. Missing schemas are errors, never skips: every rendered kind must be known.
 */
export async function kubeconform(files: string[]): Promise<Validation> {
  const [bin, schemas] = await Promise.all([ensureTool('kubeconform'), ensureTool('k8s-schemas')]);
  const r = await runTool(bin, [
    '-strict',
    '-summary',
    '-output',
    'json',
    '-kubernetes-version',
    KUBERNETES_VERSION,
    '-schema-location',
    `${schemas}/k8s/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
    '-schema-location',
    `${schemas}/crd/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`,
    ...files,
  ]);
  const out = JSON.parse(r.stdout) as {
    resources?: { filename: string; kind: string; name: string; status: string; msg: string }[];
    summary: { valid: number; invalid: number; errors: number; skipped: number };
  };
  const failures = (out.resources ?? [])
    .filter((x) => x.status !== 'statusValid')
    .map((x) => `${x.kind}/${x.name}: ${x.status} ${x.msg}`);
  return { ...r, summary: out.summary, failures };
}
