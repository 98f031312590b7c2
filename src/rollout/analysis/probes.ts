import type { Analysis, AnalysisContext, Instance, Measurement, Target } from '../types.js';
import {
  PROBE_ATTEMPTS,
  PROBE_BACKOFF_MS,
  PROBE_CHECKS,
  PROBE_CONCURRENCY,
  PROBE_MAX_BACKOFF_MS,
  PROBE_TIMEOUT_MS,
} from './defaults.js';
import { unmeasured } from './measurement.js';
import { intOption, invalidOption, pathOption, statusList } from './options.js';
import { mapLimit, pause } from './timing.js';

export interface ProbeCheck {
  readonly path: string;
  /** Statuses that pass (default 200). */
  readonly expect?: readonly number[];
}

export interface ProbeOptions {
  /** Default: the seed's three, `/health/live`, `/health/ready` and `/api/search?q=test`, each expecting 200. */
  readonly checks?: readonly ProbeCheck[];
  readonly timeoutMs?: number;
  /** Tries per instance and path before it counts as failing. */
  readonly attempts?: number;
  /** Wait after the first failed try; doubled after each further one up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly concurrency?: number;
  /** Sent with every probe: the release's credentials when reads need them (`X-API-Key: ...`). */
  readonly headers?: Readonly<Record<string, string>>;
}

interface Verdict {
  readonly pass: boolean;
  /** Why it failed: `503`, `ECONNREFUSED`, `aborted`. */
  readonly why?: string;
  readonly tries: number;
}

/**
 * Every instance of the colour, asked directly (through the target: the pod proxy on Kubernetes), for each path.
 * One measurement per path: how many instances passed, out of all of them; the detail names the failing ones.
 */
export function probeAnalysis(options: ProbeOptions = {}): Analysis {
  const checks = (options.checks ?? PROBE_CHECKS).map((c, i) => ({
    path: pathOption(`probe ${i + 1} path`, c.path),
    expect: statusList(`probe ${c.path} expected statuses`, c.expect ?? [200]),
  }));
  if (checks.length === 0) throw invalidOption('probes', 'must name at least one path', []);
  const timeoutMs = intOption('probe timeout', options.timeoutMs, PROBE_TIMEOUT_MS, 1, 600_000);
  const attempts = intOption('probe attempts', options.attempts, PROBE_ATTEMPTS, 1, 20);
  const backoffMs = intOption('probe backoff', options.backoffMs, PROBE_BACKOFF_MS, 0, 60_000);
  const maxBackoffMs = intOption(
    'probe max backoff',
    options.maxBackoffMs,
    // A first wait longer than the default cap raises the cap rather than being cut short.
    Math.max(PROBE_MAX_BACKOFF_MS, backoffMs),
    backoffMs,
    600_000,
  );
  const concurrency = intOption('probe concurrency', options.concurrency, PROBE_CONCURRENCY, 1, 256);

  async function probeOnce(target: Target, instance: Instance, path: string, expect: readonly number[]) {
    try {
      const r = await target.probe(instance, path, timeoutMs, options.headers ?? {});
      if (r.status !== null && expect.includes(r.status)) return { pass: true };
      return { pass: false, why: r.status !== null ? String(r.status) : (r.error ?? 'no answer') };
    } catch (err) {
      // The contract says probes report failures as results; a target that throws still gets a verdict.
      return { pass: false, why: err instanceof Error ? err.message : String(err) };
    }
  }

  async function probeWithRetries(
    ctx: AnalysisContext,
    instance: Instance,
    path: string,
    expect: readonly number[],
  ): Promise<Verdict> {
    let wait = backoffMs;
    let last = { pass: false, why: 'aborted' } as { pass: boolean; why?: string };
    for (let tries = 1; tries <= attempts; tries++) {
      if (ctx.signal.aborted) return { pass: false, why: 'aborted', tries: tries - 1 };
      last = await probeOnce(ctx.target, instance, path, expect);
      if (last.pass) return { pass: true, tries };
      if (tries < attempts && !(await pause(wait, ctx.signal))) return { pass: false, why: 'aborted', tries };
      wait = Math.min(wait * 2, maxBackoffMs);
    }
    return { pass: false, tries: attempts, ...(last.why ? { why: last.why } : {}) };
  }

  return {
    name: 'probes',
    async run(ctx: AnalysisContext): Promise<Measurement[]> {
      let instances: Instance[];
      try {
        instances = await ctx.target.instances(ctx.color);
      } catch (err) {
        const why = `could not list ${ctx.color} instances: ${err instanceof Error ? err.message : String(err)}`;
        return checks.map((c) => unmeasured(`probe ${c.path}`, 'all instances', why));
      }
      if (instances.length === 0)
        return checks.map((c) => ({
          name: `probe ${c.path}`,
          value: 0,
          threshold: 'at least 1 instance',
          ok: false,
          detail: `no ${ctx.color} instances`,
        }));

      // Paths in order per instance (live before ready before search, as a person would look); instances at once.
      const verdicts = await mapLimit(instances, concurrency, async (instance) => {
        const byPath: Verdict[] = [];
        for (const c of checks) byPath.push(await probeWithRetries(ctx, instance, c.path, c.expect));
        return byPath;
      });

      return checks.map((c, p) => {
        const failing = instances
          .map((instance, i) => ({ instance, verdict: verdicts[i]![p]! }))
          .filter(({ verdict }) => !verdict.pass);
        const passing = instances.length - failing.length;
        const expected = c.expect.join(' or ');
        return {
          name: `probe ${c.path}`,
          value: passing,
          threshold: `${instances.length}/${instances.length}`,
          ok: failing.length === 0,
          detail:
            failing.length === 0
              ? `${passing}/${instances.length} ${ctx.color} instances answered ${expected}`
              : failing
                  .map(
                    ({ instance, verdict }) =>
                      `${instance.id} (${instance.address}): ${verdict.why} after ${verdict.tries} ${verdict.tries === 1 ? 'try' : 'tries'}, want ${expected}`,
                  )
                  .join('; '),
        };
      });
    },
  };
}
