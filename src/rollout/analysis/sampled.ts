import type { Analysis, AnalysisContext, Measurement } from '../types.js';
import { runAnalyses, runOptions, type RunOptions } from './run.js';

/**
 * Several analyses sampled over time, as one Analysis a strategy runs like any other. It returns one measurement
 * per name: the latest value, with how many samples passed; a name fails only when the whole run failed and that
 * name failed in some sample, so failures within `failureLimit` do not fail the release.
 */
export function sampledAnalysis(
  analyses: readonly Analysis[],
  options: Omit<RunOptions, 'onSample'>,
  name = analyses.map((a) => a.name).join(' + '),
): Analysis {
  const { samples } = runOptions(options);
  return {
    name,
    async run(ctx: AnalysisContext): Promise<Measurement[]> {
      const run = await runAnalyses(analyses, ctx, options);
      const byName = new Map<string, Measurement[]>();
      for (const m of run.measurements) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
      const result: Measurement[] = [...byName].map(([, seen]) => {
        const failed = seen.filter((m) => !m.ok);
        const ok = run.ok || failed.length === 0;
        const shown = ok ? seen.at(-1)! : failed.at(-1)!;
        const tally = samples > 1 ? `${seen.length - failed.length}/${seen.length} samples passed` : '';
        const detail = [shown.detail, tally].filter(Boolean).join('; ');
        return { ...shown, ok, ...(detail ? { detail } : {}) };
      });
      if (run.aborted)
        result.push({ name, value: null, threshold: `${samples} samples`, ok: false, detail: run.summary });
      return result;
    },
  };
}
