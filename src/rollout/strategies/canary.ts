import { SiftError } from '../../errors.js';
import type { CanaryStep, Color } from '../types.js';
import type { RolloutContext, RolloutResult } from './context.js';
import { ReleaseRun, reasonOf, replicasOf } from './run.js';
import { analyse, deploy, retire, retreat, route, switchTraffic } from './steps.js';

/** The steps when none are given: 10% and 50% for a minute each, each followed by analysis. */
export const DEFAULT_CANARY_STEPS: readonly CanaryStep[] = [
  { weight: 10 },
  { pause: { seconds: 60 } },
  { analysis: true },
  { weight: 50 },
  { pause: { seconds: 60 } },
  { analysis: true },
];

/**
 * Canary: the new image goes on the idle colour, then takes a growing share of traffic step by step; each
 * analysis step checks the candidate (probes, Prometheus error ratio and latency). A pause without a duration
 * stops the command with the release `paused` until `sift deploy promote` (or `abort`). Any failure puts all
 * traffic back on the stable colour and removes the candidate.
 */
export async function canary(ctx: RolloutContext): Promise<RolloutResult> {
  const run = new ReleaseRun(ctx, 'canary');
  if (!ctx.router.supportsWeights) {
    throw new SiftError(
      'DEPLOY_UNSUPPORTED',
      `the ${ctx.router.kind} router cannot split traffic by weight; canary needs a router with weights ` +
        '(Istio VirtualService on Kubernetes, nginx on a host)',
    );
  }
  await run.acquire();
  try {
    const stable = await run.requireLiveColor();
    const candidate = run.otherThan(stable);
    const state = await ctx.target.state();
    const replicas = ctx.options.replicas ?? replicasOf(ctx.target, state.tracks[stable].desired);
    const steps = ctx.options.steps ?? DEFAULT_CANARY_STEPS;
    await run.begin(
      'canary',
      { color: stable, image: state.tracks[stable].image },
      { color: candidate, image: ctx.options.image },
      { steps, step: 0, weight: 0 },
    );
    run.phase(`canary of ${ctx.options.image} on ${candidate}; ${stable} serves`);
    try {
      await deploy(run, candidate, ctx.options.image, replicas);
      await analyse(run, candidate, ctx.analyses, 'before it takes traffic');
    } catch (err) {
      return await fallBack(run, stable, candidate, err);
    }
    return await continueSteps(run, 0);
  } finally {
    await run.releaseLock();
  }
}

/**
 * Runs the remaining steps of the run's canary record from `from`, then promotes. Shared with `promote`, which
 * resumes a paused canary (or, with `full`, skips what is left).
 */
export async function continueSteps(run: ReleaseRun, from: number, full = false): Promise<RolloutResult> {
  const record = run.record!;
  const stable = record.stable.color;
  const candidate = record.candidate.color;
  const steps = full ? [] : (record.steps ?? []).slice(from);
  try {
    for (const [offset, step] of steps.entries()) {
      const index = from + offset;
      if ('weight' in step) {
        await route(
          run,
          split(candidate, step.weight),
          () => run.ctx.router.setWeight(candidate, step.weight),
          `sent ${step.weight}% of traffic to ${candidate}`,
        );
        await run.update({
          step: index + 1,
          weight: step.weight,
          message: `${step.weight}% on ${candidate}`,
        });
      } else if ('pause' in step) {
        if (step.pause.seconds === undefined && run.promoteRequested) {
          // An operator promoted while the release ran: no stop at this pause.
          run.phase(`promoted: going on past the pause at ${run.record?.weight ?? 0}%`);
        } else if (step.pause.seconds === undefined) {
          await run.update({
            step: index + 1,
            phase: 'paused',
            message: pausedMessage(run.record?.weight ?? 0),
          });
          run.phase(
            `paused at ${run.record?.weight ?? 0}% on ${candidate}: run \`sift deploy promote\` or \`abort\``,
          );
          return run.result('paused');
        } else if (!run.dryRun) {
          run.phase(`holding ${run.record?.weight ?? 0}% on ${candidate} for ${step.pause.seconds} s`);
          if (await run.hold((step.pause.seconds ?? 0) * 1000)) run.phase('promoted: the hold ends now');
        }
        await run.update({ step: index + 1 });
      } else {
        await analyse(
          run,
          candidate,
          [...run.ctx.analyses, ...run.ctx.afterSwitch],
          `at ${run.record?.weight ?? 0}%`,
        );
        await run.update({ step: index + 1 });
      }
    }
    await run.update({ phase: 'progressing', message: `promoting ${candidate}` });
    await switchTraffic(run, candidate);
    await run.update({ weight: 100 });
    await analyse(run, candidate, run.ctx.afterSwitch, 'after promotion');
  } catch (err) {
    return await fallBack(run, stable, candidate, err);
  }
  await retire(run, stable);
  await run.finish('succeeded', `${record.candidate.image} serves on ${candidate}`);
  return run.result('succeeded');
}

async function fallBack(
  run: ReleaseRun,
  stable: Color,
  candidate: Color,
  err: unknown,
): Promise<RolloutResult> {
  const reason = reasonOf(err, run.ctx.signal);
  const failed = await retreat(run, stable, candidate);
  if (failed) {
    await run.finish('rollback-failed', `${reason}; rollback failed: ${failed}`);
    return run.result('rollback-failed', `${reason}; rollback failed: ${failed}`);
  }
  await run.finish('rolled-back', `${reason}; all traffic on ${stable}`);
  return run.result('rolled-back', reason);
}

const split = (color: Color, percent: number) =>
  color === 'green' ? { blue: 100 - percent, green: percent } : { blue: percent, green: 100 - percent };

const pausedMessage = (weight: number) => `paused at ${weight}%; waiting for promote or abort`;
