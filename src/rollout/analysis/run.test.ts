import { describe, expect, it } from 'vitest';
import { isSiftError } from '../../errors.js';
import type { Analysis, AnalysisContext, Measurement, Target } from '../types.js';
import { NO_DATA } from './measurement.js';
import { runAnalyses } from './run.js';
import { sampledAnalysis } from './sampled.js';

// The verdict logic needs analyses with known outcomes, not a target: these never touch it.
const noTarget = new Proxy({} as Target, {
  get: (_t, prop) => {
    throw new Error(`the analyses of this test do not use the target (asked for ${String(prop)})`);
  },
});
const context = (signal = new AbortController().signal): AnalysisContext => ({
  color: 'green',
  target: noTarget,
  signal,
});

/** An analysis whose n-th run passes or fails as `outcomes[n]` says (the last one repeats). */
function scripted(name: string, outcomes: (boolean | 'no-data')[]): Analysis & { runs: number } {
  const a = {
    name,
    runs: 0,
    async run(): Promise<Measurement[]> {
      const o = outcomes[Math.min(a.runs++, outcomes.length - 1)];
      if (o === 'no-data') return [{ name, value: null, threshold: '<= 1', ok: false, detail: NO_DATA }];
      return [{ name, value: o ? 1 : 2, threshold: '<= 1', ok: o === true, detail: `run ${a.runs}` }];
    },
  };
  return a;
}

describe('runAnalyses verdicts', () => {
  it('passes when every measurement of every sample passes', async () => {
    const a = scripted('a', [true]);
    const b = scripted('b', [true]);
    const r = await runAnalyses([a, b], context(), { samples: 3, intervalMs: 1 });
    expect(r).toMatchObject({ ok: true, inconclusive: false, aborted: false, failedSamples: 0 });
    expect(r.samples.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(r.measurements).toHaveLength(6);
    expect(r.summary).toBe('3/3 samples passed');
  });

  it('fails on one failed sample by default, and stops sampling there', async () => {
    const a = scripted('a', [true, false, true]);
    const r = await runAnalyses([a], context(), { samples: 5, intervalMs: 1 });
    expect(r).toMatchObject({ ok: false, inconclusive: false, failedSamples: 1 });
    expect(a.runs).toBe(2);
    expect(r.summary).toBe(
      '1 of 2 samples failed; the other 3 were not run; sample 2: a 2 (want <= 1): run 2',
    );
  });

  it('tolerates failed samples up to failureLimit', async () => {
    const within = await runAnalyses([scripted('a', [false, true, true])], context(), {
      samples: 3,
      intervalMs: 1,
      failureLimit: 1,
    });
    expect(within).toMatchObject({ ok: true, failedSamples: 1 });
    expect(within.summary).toBe('2/3 samples passed (1 failed, up to 1 may)');
    const beyond = await runAnalyses([scripted('a', [false, true, false])], context(), {
      samples: 3,
      intervalMs: 1,
      failureLimit: 1,
    });
    expect(beyond).toMatchObject({ ok: false, failedSamples: 2 });
  });

  it('calls a run that failed only for lack of data inconclusive', async () => {
    const r = await runAnalyses([scripted('a', ['no-data']), scripted('b', [true])], context());
    expect(r).toMatchObject({ ok: false, inconclusive: true });
    const real = await runAnalyses([scripted('a', ['no-data']), scripted('b', [false])], context());
    expect(real).toMatchObject({ ok: false, inconclusive: false });
  });

  it('turns an analysis that throws into a failed measurement and still reports the others', async () => {
    const broken: Analysis = {
      name: 'broken',
      run: async () => {
        throw new Error('boom');
      },
    };
    const r = await runAnalyses([broken, scripted('b', [true])], context());
    expect(r.ok).toBe(false);
    expect(r.measurements.map((m) => [m.name, m.ok])).toEqual([
      ['broken', false],
      ['b', true],
    ]);
    expect(r.measurements[0]!.detail).toContain('boom');
  });

  it('stops at once when the signal aborts during the wait between samples, and never passes', async () => {
    const controller = new AbortController();
    // The interval is longer than the test's timeout: only an abort that cuts the wait short lets it finish.
    const r = await runAnalyses([scripted('a', [true])], context(controller.signal), {
      samples: 3,
      intervalMs: 60_000,
      onSample: () => controller.abort(),
    });
    expect(r).toMatchObject({ ok: false, aborted: true, inconclusive: false });
    expect(r.samples).toHaveLength(1);
    expect(r.summary).toBe('aborted after 1 of 3 samples');
  });

  it('passes an empty list of analyses', async () => {
    expect((await runAnalyses([], context())).ok).toBe(true);
  });

  it('refuses bad sampling options with DEPLOY_INVALID', async () => {
    for (const options of [
      { samples: 0 },
      { samples: 1.5 },
      { intervalMs: -1 },
      { samples: 2, failureLimit: 2 },
    ]) {
      const err = await runAnalyses([], context(), options).catch((e: unknown) => e);
      expect(isSiftError(err) && err.code, JSON.stringify(options)).toBe('DEPLOY_INVALID');
    }
  });
});

describe('sampledAnalysis', () => {
  it('reports one measurement per name with the latest value and the tally', async () => {
    const s = sampledAnalysis([scripted('a', [false, true, true]), scripted('b', [true])], {
      samples: 3,
      intervalMs: 1,
      failureLimit: 1,
    });
    const ms = await s.run(context());
    expect(ms.map((m) => [m.name, m.ok, m.value, m.detail])).toEqual([
      ['a', true, 1, 'run 3; 2/3 samples passed'],
      ['b', true, 1, 'run 3; 3/3 samples passed'],
    ]);
  });

  it('fails the names that failed when the run fails, showing their failing value', async () => {
    const s = sampledAnalysis([scripted('a', [true, false]), scripted('b', [true])], {
      samples: 3,
      intervalMs: 1,
    });
    const ms = await s.run(context());
    expect(ms.map((m) => [m.name, m.ok, m.value])).toEqual([
      ['a', false, 2],
      ['b', true, 1],
    ]);
  });

  it('adds a failed measurement when aborted, so an interrupted analysis never passes', async () => {
    const controller = new AbortController();
    controller.abort();
    const ms = await sampledAnalysis([scripted('a', [true])], { samples: 2 }, 'checks').run(
      context(controller.signal),
    );
    expect(ms).toEqual([
      {
        name: 'checks',
        value: null,
        threshold: '2 samples',
        ok: false,
        detail: 'aborted after 0 of 2 samples',
      },
    ]);
  });
});
