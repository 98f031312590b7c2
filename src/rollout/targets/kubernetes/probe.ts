import type { Instance, ProbeResult } from '../../types.js';
import type { KubeClient } from '../../platform/kubernetes/client.js';

/**
 * GETs on one pod, either through the API server's pod proxy (works from anywhere the API server is reachable,
 * which is what an operator's laptop or a CI runner has) or straight to the pod IP (from inside the cluster
 * network). Every outcome is a ProbeResult; nothing here throws for a failed request.
 */

export type ProbeMode = 'proxy' | 'direct';

/** `10.1.2.3:8000` → 8000 (the address an Instance carries). */
export function portOf(address: string): number | null {
  const m = /:(\d+)$/.exec(address);
  return m ? Number(m[1]) : null;
}

const hostOf = (address: string): string => address.replace(/:\d+$/, '');

/** The API server's own refusal (a Status object), as opposed to an answer the pod gave through the proxy. */
function apiServerStatus(contentType: string, body: string): string | null {
  if (!contentType.includes('application/json')) return null;
  try {
    const parsed = JSON.parse(body) as { kind?: unknown; apiVersion?: unknown; message?: unknown };
    if (parsed.kind === 'Status' && parsed.apiVersion === 'v1' && typeof parsed.message === 'string') {
      return parsed.message;
    }
  } catch {
    // a pod's body that is not JSON
  }
  return null;
}

const failure = (instance: Instance, path: string, started: number, status: number | null, error: string) =>
  ({ instance: instance.id, path, ok: false, status, ms: Date.now() - started, error }) satisfies ProbeResult;

export async function probeViaProxy(
  client: KubeClient,
  instance: Instance,
  path: string,
  timeoutMs: number,
  headers: Readonly<Record<string, string>> = {},
): Promise<ProbeResult> {
  const started = Date.now();
  const port = portOf(instance.address);
  const target = port === null ? instance.id : `${instance.id}:${port}`;
  const proxied = `/api/v1/namespaces/${encodeURIComponent(client.namespace)}/pods/${encodeURIComponent(
    target,
  )}/proxy${path.startsWith('/') ? path : `/${path}`}`;
  try {
    // The API server forwards other headers to the pod; its own Authorization is the client's, so credentials
    // for Sift go in X-API-Key.
    const res = await client.request(proxied, { timeoutMs, headers });
    const ok = res.status >= 200 && res.status < 300;
    if (ok) return { instance: instance.id, path, ok, status: res.status, ms: Date.now() - started };
    const refusal = apiServerStatus(res.contentType, res.body);
    return failure(
      instance,
      path,
      started,
      res.status,
      refusal ? `API server: ${refusal}` : `HTTP ${res.status}: ${res.body.slice(0, 200)}`,
    );
  } catch (err) {
    return failure(
      instance,
      path,
      started,
      null,
      `via the API server's pod proxy: ${(err as Error).message}`,
    );
  }
}

export async function probeDirect(
  instance: Instance,
  path: string,
  timeoutMs: number,
  headers: Readonly<Record<string, string>> = {},
): Promise<ProbeResult> {
  const started = Date.now();
  const host = hostOf(instance.address);
  if (!host || portOf(instance.address) === null) {
    return failure(instance, path, started, null, `pod has no address yet (${instance.address})`);
  }
  try {
    const res = await fetch(`http://${instance.address}${path.startsWith('/') ? path : `/${path}`}`, {
      signal: AbortSignal.timeout(timeoutMs),
      headers,
    });
    const body = await res.text();
    if (res.ok)
      return { instance: instance.id, path, ok: true, status: res.status, ms: Date.now() - started };
    return failure(instance, path, started, res.status, `HTTP ${res.status}: ${body.slice(0, 200)}`);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.message ?? e.message);
    return failure(instance, path, started, null, why);
  }
}
