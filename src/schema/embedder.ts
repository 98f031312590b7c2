import { SiftError } from '../errors.js';
import { isTextual, type EmbedderSpec, type FieldSpec } from './types.js';

export const EMBEDDER_DEFAULTS = { batch_size: 64, timeout_ms: 10_000, retries: 2 } as const;
const LIMITS = {
  batch_size: [1, 2048],
  timeout_ms: [100, 600_000],
  retries: [0, 10],
} as const;
const KEYS = new Set([
  'source',
  'url',
  'model',
  'fields',
  'api_key_env',
  'batch_size',
  'timeout_ms',
  'retries',
]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const fail = (field: string, problem: string): never => {
  throw new SiftError('INVALID_SCHEMA', `field "${field}": embedder: ${problem}`, { field });
};

/** A base URL Sift may post texts to: http or https, no credentials (secrets go through api_key_env). */
function parseUrl(field: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 2048) return fail(field, '"url" must be a URL string');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(field, `"url" is not a valid URL: ${JSON.stringify(raw.slice(0, 80))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    fail(field, `"url" must be http or https, got ${url.protocol.replace(/:$/, '')}`);
  if (url.username || url.password)
    fail(field, '"url" must not carry credentials; name the variable holding the key in "api_key_env"');
  if (url.search || url.hash) fail(field, '"url" must not have a query or a fragment');
  // The base: Sift appends /v1/embeddings, so a URL given with it is taken as its base.
  return raw.replace(/\/+$/, '').replace(/\/v1\/embeddings$/, '');
}

/**
 * Checks the `embedder` option of vector field `field` against the index's other fields and fills in defaults.
 * The source fields must be declared text or keyword fields.
 */
export function parseEmbedder(field: string, raw: unknown, fields: Record<string, FieldSpec>): EmbedderSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(field, 'must be an object');
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj))
    if (!KEYS.has(key)) fail(field, `unknown key "${key}" (known: ${[...KEYS].join(', ')})`);
  if (obj.source !== 'rest') fail(field, `"source" must be "rest", got ${JSON.stringify(obj.source)}`);
  const url = parseUrl(field, obj.url);
  if (typeof obj.model !== 'string' || obj.model.length === 0 || obj.model.length > 256)
    fail(field, '"model" must be a non-empty string (the model name the server expects)');
  const names = obj.fields;
  if (!Array.isArray(names) || names.length === 0 || names.length > 16)
    fail(field, '"fields" must list 1 to 16 text or keyword fields to embed');
  for (const name of names as unknown[]) {
    const spec = typeof name === 'string' && Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (!spec) fail(field, `"fields" names ${JSON.stringify(name)}, which is not declared`);
    else if (!isTextual(spec.type))
      fail(field, `"fields" names "${String(name)}", which is not text or keyword`);
  }
  const out: EmbedderSpec = {
    source: 'rest',
    url,
    model: obj.model as string,
    fields: [...new Set(names as string[])],
    ...EMBEDDER_DEFAULTS,
  };
  if (obj.api_key_env !== undefined) {
    if (typeof obj.api_key_env !== 'string' || !ENV_NAME.test(obj.api_key_env))
      fail(field, '"api_key_env" must be the name of an environment variable (letters, digits, _)');
    out.api_key_env = obj.api_key_env as string;
  }
  for (const [key, [min, max]] of Object.entries(LIMITS) as [
    keyof typeof LIMITS,
    readonly [number, number],
  ][]) {
    const v = obj[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      fail(field, `"${key}" must be an integer from ${min} to ${max}`);
    out[key] = v as number;
  }
  return out;
}

/** The text an embedder embeds for a document: its source fields' values (lists flattened), one per line. */
export function embeddingText(spec: EmbedderSpec, document: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const name of spec.fields) {
    let v: unknown = document;
    for (const key of name.split('.'))
      v =
        typeof v === 'object' && v !== null && !Array.isArray(v)
          ? (v as Record<string, unknown>)[key]
          : undefined;
    for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' && x.trim()) parts.push(x.trim());
  }
  return parts.join('\n');
}
