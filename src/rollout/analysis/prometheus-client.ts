import { PROMETHEUS_TIMEOUT_MS } from './defaults.js';
import { formatValue } from './measurement.js';
import { httpUrl, intOption, invalidOption } from './options.js';
import { describeFetchError, requestDeadline } from './timing.js';

/** Where Prometheus answers, and how to authenticate (basic auth or a bearer token; credentials in the URL work too). */
export interface PrometheusSource {
  readonly url: string;
  readonly auth?: { readonly username: string; readonly password: string } | { readonly bearerToken: string };
  /** Extra headers, such as the tenant header of a multi-tenant Prometheus (`X-Scope-OrgID`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/**
 * What one instant query gave: a single number, nothing to measure (an empty result, or NaN from 0/0 when the
 * window saw no requests), or why it could not be answered. Never an exception: a broken Prometheus is a failed
 * check, not a crashed release.
 */
export type QueryOutcome =
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'no-data'; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string };

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

const sampleValue = (sample: unknown): string | undefined =>
  Array.isArray(sample) && typeof sample[1] === 'string' ? sample[1] : undefined;

function numberOutcome(raw: string | undefined): QueryOutcome {
  if (raw === undefined) return { kind: 'error', reason: 'Prometheus answered a sample without a value' };
  const value = Number(raw);
  // Prometheus spells infinities +Inf/-Inf; Number() reads them as NaN.
  if (raw === '+Inf' || raw === 'Inf') return { kind: 'value', value: Infinity };
  if (raw === '-Inf') return { kind: 'value', value: -Infinity };
  if (Number.isNaN(value))
    return { kind: 'no-data', reason: 'the query evaluated to NaN (no requests in the window)' };
  return { kind: 'value', value };
}

/** Reads the body of `/api/v1/query` (https://prometheus.io/docs/prometheus/latest/querying/api/). */
export function readQueryResponse(httpStatus: number, body: unknown): QueryOutcome {
  const b = (typeof body === 'object' && body !== null ? body : {}) as ApiBody;
  if (b.status === 'error')
    return {
      kind: 'error',
      reason: `Prometheus refused the query (${b.errorType ?? httpStatus}): ${b.error ?? ''}`,
    };
  if (b.status !== 'success' || !b.data)
    return { kind: 'error', reason: `Prometheus answered ${httpStatus} without a query result` };
  const { resultType, result } = b.data;
  if (resultType === 'scalar') return numberOutcome(sampleValue(result));
  if (resultType !== 'vector' || !Array.isArray(result))
    return {
      kind: 'error',
      reason: `the query returned a ${resultType}; it must return one number (an instant vector)`,
    };
  if (result.length === 0) return { kind: 'no-data', reason: 'the query returned no series' };
  if (result.length > 1) {
    const series = result
      .slice(0, 3)
      .map((r) => {
        const s = r as { metric?: Record<string, string>; value?: unknown };
        const labels = Object.entries(s.metric ?? {}).map(([k, v]) => `${k}="${v}"`);
        return `{${labels.join(',')}} ${formatValue(Number(sampleValue(s.value)))}`;
      })
      .join(', ');
    return {
      kind: 'error',
      reason: `the query returned ${result.length} series (${series}${result.length > 3 ? ', ...' : ''}); aggregate it to one (sum, max)`,
    };
  }
  return numberOutcome(sampleValue((result[0] as { value?: unknown }).value));
}

/** A small client for Prometheus's instant query API over fetch. */
export class PrometheusClient {
  /** The URL without credentials, for messages. */
  readonly where: string;
  private readonly endpoint: URL;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(source: PrometheusSource) {
    const { url, username, password } = httpUrl('prometheus url', source.url);
    this.where = url.href;
    // Relative to the base path: a Prometheus behind a prefix (`https://host/prometheus/`) keeps the prefix.
    this.endpoint = new URL('api/v1/query', url.href.endsWith('/') ? url.href : `${url.href}/`);
    this.timeoutMs = intOption('prometheus timeout', source.timeoutMs, PROMETHEUS_TIMEOUT_MS, 1, 600_000);
    this.headers = { accept: 'application/json', ...source.headers };
    const auth = source.auth ?? (username || password ? { username, password } : undefined);
    if (auth && 'bearerToken' in auth) {
      if (!auth.bearerToken) throw invalidOption('prometheus bearer token', 'must not be empty', '');
      this.headers.authorization = `Bearer ${auth.bearerToken}`;
    } else if (auth) {
      this.headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    }
  }

  async query(promql: string, signal: AbortSignal): Promise<QueryOutcome> {
    const url = new URL(this.endpoint);
    url.searchParams.set('query', promql);
    // Prometheus stops evaluating at its own deadline too, instead of working on for a client that left.
    url.searchParams.set('timeout', `${this.timeoutMs}ms`);
    const deadline = requestDeadline(this.timeoutMs, signal);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { headers: this.headers, signal: deadline.signal });
      text = await res.text();
    } catch (err) {
      const why = describeFetchError(err, signal, this.timeoutMs);
      return { kind: 'error', reason: `Prometheus at ${this.where} could not be queried: ${why}` };
    } finally {
      deadline.release();
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const snippet = text.trim().slice(0, 200);
      return {
        kind: 'error',
        reason: `Prometheus at ${this.where} answered ${res.status} ${res.statusText}${snippet ? `: ${snippet}` : ''}`,
      };
    }
    return readQueryResponse(res.status, body);
  }
}
