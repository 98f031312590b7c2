import type { Analysis, AnalysisContext, Measurement } from '../types.js';
import { SAMPLE_INTERVAL_MS, SAMPLES } from './defaults.js';
import { formatValue, isNoData, unmeasured } from './measurement.js';
import { intOption, invalidOption } from './options.js';
import { pause } from './timing.js';

export interface RunOptions {
  /** How many times to run every analysis (default 1). */
  readonly samples?: number;
  /** Wait between samples (default 5 s). */
  readonly intervalMs?: number;
  /** Failed samples tolerated (default 0: any failed sample fails the run). Must be below `samples`. */
  readonly failureLimit?: number;
  /** Called after each sample, for the progress view. */
  readonly onSample?: (sample: Sample) => void;
}

export interface Sample {
  /** 1-based. */
  readonly index: number;
  readonly at: string;
  readonly ok: boolean;
  readonly measurements: readonly Measurement[];
}

export interface AnalysisRun {
  readonly ok: boolean;
  /** Failed only for lack of data (no traffic yet): worth waiting, not a bad version. */
  readonly inconclusive: boolean;
  /** The signal aborted before the run finished; never ok. */
  readonly aborted: boolean;
  readonly samples: readonly Sample[];
  readonly failedSamples: number;
  /** Every measurement of every sample, in order. */
  readonly measurements: readonly Measurement[];
  /** One line for logs and messages. */
  readonly summary: string;
}

export const describeMeasurement = (m: Measurement): string =>
  `${m.name} ${m.value === null ? 'n/a' : formatValue(m.value)} (want ${m.threshold})${m.detail ? `: ${m.detail}` : ''}`;

/** Runs one analysis; a bug that throws becomes a failed measurement, so the other checks still report. */
async function runOne(analysis: Analysis, ctx: AnalysisContext): Promise<Measurement[]> {
  try {
    return await analysis.run(ctx);
  } catch (err) {
    return [
      unmeasured(
        analysis.name,
        'no error',
        `the check failed: ${err instanceof Error ? err.message : String(err)}`,
      ),
    ];
  }
}

export function runOptions(options: RunOptions) {
  const samples = intOption('analysis samples', options.samples, SAMPLES, 1, 1000);
  const intervalMs = intOption('analysis interval', options.intervalMs, SAMPLE_INTERVAL_MS, 0, 3_600_000);
  const failureLimit = intOption('analysis failure limit', options.failureLimit, 0, 0, 1000);
  if (failureLimit >= samples)
    throw invalidOption(
      'analysis failure limit',
      `must be below the number of samples (${samples})`,
      failureLimit,
    );
  return { samples, intervalMs, failureLimit };
}

/**
 * Runs every analysis `samples` times, `intervalMs` apart (the analyses of one sample at once), and judges the
 * whole: it fails once more than `failureLimit` samples failed (and stops there: the verdict cannot change), and
 * when the signal aborts. A sample fails when any of its measurements does.
 */
export async function runAnalyses(
  analyses: readonly Analysis[],
  ctx: AnalysisContext,
  options: RunOptions = {},
): Promise<AnalysisRun> {
  const { samples: planned, intervalMs, failureLimit } = runOptions(options);
  const samples: Sample[] = [];
  let failedSamples = 0;
  let aborted = false;
  for (let index = 1; index <= planned; index++) {
    if (index > 1 && !(await pause(intervalMs, ctx.signal))) {
      aborted = true;
      break;
    }
    if (ctx.signal.aborted) {
      aborted = true;
      break;
    }
    const at = new Date().toISOString();
    const measurements = (await Promise.all(analyses.map((a) => runOne(a, ctx)))).flat();
    const sample: Sample = { index, at, ok: measurements.every((m) => m.ok), measurements };
    samples.push(sample);
    options.onSample?.(sample);
    if (!sample.ok) failedSamples++;
    if (failedSamples > failureLimit) break;
  }
  aborted ||= ctx.signal.aborted;
  const ok = !aborted && failedSamples <= failureLimit;
  const failing = samples.flatMap((s) => s.measurements.filter((m) => !m.ok));
  const inconclusive = !ok && !aborted && failing.length > 0 && failing.every(isNoData);
  return {
    ok,
    inconclusive,
    aborted,
    samples,
    failedSamples,
    measurements: samples.flatMap((s) => s.measurements),
    summary: summarize({ ok, aborted, planned, samples, failedSamples, failureLimit }),
  };
}

function summarize(r: {
  ok: boolean;
  aborted: boolean;
  planned: number;
  samples: readonly Sample[];
  failedSamples: number;
  failureLimit: number;
}): string {
  const run = r.samples.length;
  const head = r.aborted
    ? `aborted after ${run} of ${r.planned} samples`
    : r.ok
      ? `${run - r.failedSamples}/${r.planned} samples passed` +
        (r.failedSamples > 0 ? ` (${r.failedSamples} failed, up to ${r.failureLimit} may)` : '')
      : `${r.failedSamples} of ${run} samples failed` +
        (r.failureLimit > 0 ? ` (up to ${r.failureLimit} may)` : '') +
        (run < r.planned ? `; the other ${r.planned - run} were not run` : '');
  if (r.ok) return head;
  // The latest failures say most about the version as it is now.
  const last = r.samples.filter((s) => !s.ok).at(-1);
  const why = last ? last.measurements.filter((m) => !m.ok).map(describeMeasurement) : [];
  return why.length > 0 ? `${head}; sample ${last!.index}: ${why.join('; ')}` : head;
}
