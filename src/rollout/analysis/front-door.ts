import { httpGet } from '../http-get.js';
import type { Analysis, AnalysisContext, Measurement } from '../types.js';
import {
  FRONT_DOOR_INTERVAL_MS,
  FRONT_DOOR_MIN_SUCCESS_RATIO,
  FRONT_DOOR_REQUESTS,
  FRONT_DOOR_TIMEOUT_MS,
  PROBE_CHECKS,
} from './defaults.js';
import { formatValue } from './measurement.js';
import { httpUrl, intOption, invalidOption, numberOption, pathOption } from './options.js';
import { pause } from './timing.js';

export interface FrontDoorOptions {
  /** What clients use: nginx on one host, the ingress or Service on Kubernetes. */
  readonly url: string;
  /**
   * What users do: the release's probe paths (a real search among them), asked in turn. Default: the probe
   * defaults, `/health/live`, `/health/ready` and `/api/search?q=test`. Readiness alone passed while every search
   * through the front door answered 401.
   */
  readonly paths?: readonly string[];
  /** Requests in all, spread over the paths in turn; raised to one per path when lower. */
  readonly requests?: number;
  /** Passing share of requests (answered 2xx), 0 to 1. The seed accepted 8 of 10; the default is 0.95. */
  readonly minSuccessRatio?: number;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** For an ingress that routes by Host or needs a header. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Requests through the front door after traffic moved: what clients now get, whichever colour answers. Every
 * non-2xx answer and every transport error (refused, reset, timed out) counts against the success ratio; a
 * failure is named with its path, so a failing search reads as such.
 */
export function frontDoorAnalysis(options: FrontDoorOptions): Analysis {
  const { url, username, password } = httpUrl('front-door url', options.url);
  const paths = (options.paths ?? PROBE_CHECKS.map((c) => c.path)).map((p, i) =>
    pathOption(`front-door path ${i + 1}`, p),
  );
  if (paths.length === 0) throw invalidOption('front-door paths', 'must name at least one path', []);
  const asked = intOption('front-door requests', options.requests, FRONT_DOOR_REQUESTS, 1, 100_000);
  const requests = Math.max(asked, paths.length);
  const minRatio = numberOption(
    'front-door success ratio',
    options.minSuccessRatio,
    FRONT_DOOR_MIN_SUCCESS_RATIO,
    0,
    1,
  );
  const timeoutMs = intOption('front-door timeout', options.timeoutMs, FRONT_DOOR_TIMEOUT_MS, 1, 600_000);
  const intervalMs = intOption('front-door interval', options.intervalMs, FRONT_DOOR_INTERVAL_MS, 0, 600_000);
  const base = url.href.replace(/\/$/, '');
  const headers: Record<string, string> = { ...options.headers };
  if (username || password)
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

  /**
   * One request on a connection of its own, as a new client would open: a pooled keep-alive connection would stay
   * with the nginx worker that accepted it, and after a reload that old worker still routes by the old
   * configuration (to the colour traffic just left) until it closes the connection.
   */
  async function once(path: string, signal: AbortSignal): Promise<string | null> {
    const r = await httpGet(`${base}${path}`, timeoutMs, headers, signal);
    if (r.error !== undefined) return r.error;
    return r.status !== null && r.status >= 200 && r.status < 300 ? null : String(r.status);
  }

  return {
    name: 'front door',
    async run(ctx: AnalysisContext): Promise<Measurement[]> {
      const failures = new Map<string, number>();
      let sent = 0;
      let succeeded = 0;
      while (sent < requests && !ctx.signal.aborted) {
        if (sent > 0 && !(await pause(intervalMs, ctx.signal))) break;
        const path = paths[sent % paths.length]!;
        const failure = await once(path, ctx.signal);
        if (ctx.signal.aborted) break;
        sent++;
        if (failure === null) succeeded++;
        else {
          const key = `${path} ${failure}`;
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }
      }
      // Requests never sent count as failed: an interrupted check proves nothing.
      const ratio = succeeded / requests;
      const aborted = sent < requests;
      const counted = [...failures].map(([why, n]) => `${why} x${n}`).join(', ');
      return [
        {
          name: 'front-door success',
          value: ratio,
          threshold: `>= ${formatValue(minRatio)}`,
          ok: !aborted && ratio >= minRatio,
          detail:
            `${succeeded}/${requests} GET ${paths.join(', ')} answered 2xx` +
            (counted ? `; failed: ${counted}` : '') +
            (aborted ? `; aborted after ${sent} of ${requests} requests` : ''),
        },
      ];
    },
  };
}
