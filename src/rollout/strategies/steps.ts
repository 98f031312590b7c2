import { setTimeout as delay } from 'node:timers/promises';
import type { Analysis, Color, SetImageOptions, TrafficSplit } from '../types.js';
import { ReleaseFailure, fullSplit, type ReleaseRun } from './run.js';

/** The building blocks the three strategies share; each reports what it changed through the run. */

export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  await delay(ms, undefined, { signal });
}

/** Puts `image` on `color` with `replicas` instances and waits until all of them are ready. */
export async function deploy(
  run: ReleaseRun,
  color: Color,
  image: string,
  replicas: number,
  signal: AbortSignal = run.ctx.signal,
): Promise<void> {
  const { target } = run.ctx;
  await target.setImage(color, image, admissionOf(run));
  run.did(`set ${color} to ${image}`);
  await target.scale(color, replicas);
  run.did(`scaled ${color} to ${replicas}`);
  await waitFor(run, color, signal);
}

/** The release's probes as the gate of every new instance (none when the release names none). */
export const admissionOf = (run: ReleaseRun): SetImageOptions =>
  run.ctx.options.admission
    ? {
        admission: run.ctx.options.admission,
        ...(run.ctx.options.probeHeaders ? { admissionHeaders: run.ctx.options.probeHeaders } : {}),
      }
    : {};

export async function waitFor(
  run: ReleaseRun,
  color: Color,
  signal: AbortSignal = run.ctx.signal,
): Promise<void> {
  if (run.dryRun) return;
  run.phase(`waiting for ${color} to be ready`);
  const r = await run.ctx.target.waitReady(color, {
    timeoutMs: run.ctx.options.readyTimeoutMs,
    signal,
    onProgress: (track) => run.ctx.report({ type: 'progress', track }),
  });
  if (signal.aborted) throw signal.reason;
  if (!r.ok) throw new ReleaseFailure(`${color} did not become ready: ${r.reason}`);
}

/** Runs checks of `color`; every value is kept, and any failed one fails the release. */
export async function analyse(
  run: ReleaseRun,
  color: Color,
  analyses: readonly Analysis[],
  when: string,
): Promise<void> {
  if (run.dryRun || analyses.length === 0) return;
  run.phase(`checking ${color} ${when}`);
  const failed: string[] = [];
  for (const analysis of analyses) {
    const measurements = await analysis.run({
      color,
      target: run.ctx.target,
      signal: run.ctx.signal,
    });
    for (const m of measurements) {
      run.measurements.push(m);
      run.ctx.report({ type: 'measurement', color, measurement: m });
      if (!m.ok)
        failed.push(
          `${m.name} = ${m.value ?? 'n/a'} (want ${m.threshold})${m.detail ? `: ${m.detail}` : ''}`,
        );
    }
    if (run.ctx.signal.aborted) throw run.ctx.signal.reason;
  }
  if (failed.length > 0) throw new ReleaseFailure(`${color} failed ${when}: ${failed.join('; ')}`);
}

/** Applies a traffic change and reads it back from the router's live configuration. */
export async function route(
  run: ReleaseRun,
  expected: TrafficSplit,
  change: () => Promise<void>,
  what: string,
): Promise<void> {
  await change();
  run.did(what);
  if (run.dryRun) return;
  const check = await run.ctx.router.verify(expected);
  if (!check.ok) {
    const actual = check.actual ? `blue ${check.actual.blue}%, green ${check.actual.green}%` : 'unknown';
    throw new ReleaseFailure(`${run.ctx.router.kind} did not apply "${what}": it shows ${actual}`);
  }
}

export const switchTraffic = (run: ReleaseRun, color: Color): Promise<void> =>
  route(run, fullSplit(color), () => run.ctx.router.switchTo(color), `switched traffic to ${color}`);

/**
 * Puts all traffic back on `stable` and removes `candidate`'s instances. Runs on its own bounded signal, so it
 * completes after an interrupt. Returns the reason it failed, or null.
 */
export async function retreat(
  run: ReleaseRun,
  stable: Color,
  candidate: Color | null,
): Promise<string | null> {
  const signal = run.retreatSignal();
  try {
    run.phase(`rolling back: traffic to ${stable}`);
    await switchTraffic(run, stable);
    if (candidate && candidate !== stable) {
      await run.ctx.target.scale(candidate, 0);
      run.did(`scaled ${candidate} to 0`);
      if (!run.dryRun) {
        const r = await run.ctx.target.waitReady(candidate, {
          timeoutMs: run.ctx.options.rollbackTimeoutMs,
          signal,
        });
        if (!r.ok)
          run.ctx.report({ type: 'warning', message: `${candidate} did not scale down: ${r.reason}` });
      }
    }
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Keeps the old colour for the scale-down delay (an instant way back), then scales it to zero. An interrupt during
 * the delay leaves it running (traffic is already on the new, verified version) and says so.
 */
export async function retire(run: ReleaseRun, old: Color): Promise<void> {
  const delayMs = run.ctx.options.scaleDownDelayMs;
  if (!run.dryRun && delayMs > 0) {
    run.phase(`keeping ${old} for ${Math.round(delayMs / 1000)} s before scaling it down`);
    try {
      await sleep(delayMs, run.ctx.signal);
    } catch {
      run.ctx.report({
        type: 'warning',
        message: `interrupted during the scale-down delay: ${old} is left running without traffic; scale it down later`,
      });
      return;
    }
  }
  await run.ctx.target.scale(old, 0);
  run.did(`scaled ${old} to 0`);
}
