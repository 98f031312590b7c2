/**
 * Generates JSON schemas in kubeconform's local layout from sources fetched through the Go module proxy, because
 * kubeconform's default schema location is not reachable from every machine that runs Sift's tests:
 *
 *   node --import tsx scripts/tools/k8s-schemas.ts OUT_DIR K8S_OPENAPI_V3_DIR CRD.yaml...
 *
 * - Kubernetes kinds: OUT_DIR/k8s/<kind><kindSuffix>.json (e.g. deployment-apps-v1.json), each a small file that
 *   points into one definitions file per API group version (OUT_DIR/k8s/_defs/<group-version>.json), so hundreds
 *   of kinds share one copy of their definitions. Use `-schema-location OUT_DIR/k8s/{{ .ResourceKind }}{{ .KindSuffix }}.json`.
 * - CRDs: OUT_DIR/crd/<group>/<kind>_<version>.json from each CRD's openAPIV3Schema. Use
 *   `-schema-location OUT_DIR/crd/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`.
 *
 * Every schema is made strict (objects with declared properties refuse unknown ones), which is what catches a
 * misspelt field such as `livenessprobe` in a manifest; the API server would silently drop it.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Refuses unknown properties where the schema lists its properties, and lets `nullable` fields hold null. */
function strictify(node: Json): Json {
  if (Array.isArray(node)) return node.map(strictify);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    // `properties` maps names to schemas: recurse into each schema, not into the map as if it were one.
    if ((key === 'properties' || key === 'patternProperties') && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, strictify(s)]));
    } else {
      out[key] = strictify(value);
    }
  }
  const open = out['x-kubernetes-preserve-unknown-fields'] === true;
  if (isObject(out.properties) && out.additionalProperties === undefined && !open) {
    out.additionalProperties = false;
  }
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

/** kubeconform's file name suffix for an apiVersion: "-v1", "-apps-v1", "-networking-v1". */
export function kindSuffix(group: string, version: string): string {
  return group === '' ? `-${version}` : `-${group.split('.')[0]!.toLowerCase()}-${version}`;
}

function writeJson(path: string, value: Json): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(value));
}

function kubernetesSchemas(outDir: string, specDir: string): number {
  let kinds = 0;
  for (const file of readdirSync(specDir).filter((f) => /__v[0-9a-z]+_openapi\.json$/.test(f))) {
    const spec = JSON.parse(readFileSync(join(specDir, file), 'utf8')) as JsonObject;
    const schemas = (spec.components as JsonObject | undefined)?.schemas as JsonObject | undefined;
    if (!schemas) continue;
    const defsName = file.replace(/_openapi\.json$/, '.json');
    writeJson(join(outDir, 'k8s', '_defs', defsName), { components: { schemas: strictify(schemas) } });
    // "apis__apps__v1" serves group apps, version v1; "api__v1" is the core group.
    const [, group = '', version = ''] = /^apis?__(?:(.+)__)?(v[0-9a-z]+)_openapi\.json$/.exec(file) ?? [];
    for (const [name, schema] of Object.entries(schemas)) {
      const gvks = isObject(schema) ? schema['x-kubernetes-group-version-kind'] : undefined;
      if (!Array.isArray(gvks)) continue;
      for (const gvk of gvks) {
        if (!isObject(gvk) || gvk.group !== group || gvk.version !== version) continue;
        const kind = String(gvk.kind).toLowerCase();
        writeJson(join(outDir, 'k8s', `${kind}${kindSuffix(group, version)}.json`), {
          $ref: `_defs/${defsName}#/components/schemas/${name}`,
        });
        kinds++;
      }
    }
  }
  return kinds;
}

function crdSchemas(outDir: string, crdFile: string): number {
  let count = 0;
  for (const doc of parseAllDocuments(readFileSync(crdFile, 'utf8'))) {
    const crd = doc.toJS() as JsonObject | null;
    if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition' || !isObject(crd.spec)) continue;
    const group = String(crd.spec.group);
    const kind = String((crd.spec.names as JsonObject).kind).toLowerCase();
    for (const v of (crd.spec.versions as JsonObject[]) ?? []) {
      const schema = (v.schema as JsonObject | undefined)?.openAPIV3Schema;
      if (!isObject(schema)) continue;
      // CRD schemas leave the object envelope implicit; a strict root must still accept it.
      const root: JsonObject = {
        ...schema,
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { type: 'object' },
          ...(isObject(schema.properties) ? schema.properties : {}),
        },
      };
      writeJson(join(outDir, 'crd', group, `${kind}_${String(v.name)}.json`), strictify(root));
      count++;
    }
  }
  return count;
}

const [outDir, specDir, ...crdFiles] = process.argv.slice(2);
if (!outDir || !specDir) {
  console.error('usage: k8s-schemas.ts OUT_DIR K8S_OPENAPI_V3_DIR [CRD.yaml...]');
  process.exit(2);
}
const kinds = kubernetesSchemas(outDir, specDir);
const crds = crdFiles.reduce((n, f) => n + crdSchemas(outDir, f), 0);
if (kinds === 0) {
  console.error(`no Kubernetes kinds found in ${specDir}`);
  process.exit(1);
}
console.error(`wrote ${kinds} Kubernetes kind schemas and ${crds} CRD version schemas to ${outDir}`);
