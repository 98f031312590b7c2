import type { Color } from '../types.js';
import type { RolloutContext, RolloutResult } from './context.js';
import { ReleaseRun, reasonOf } from './run.js';
import { admissionOf, analyse, waitFor } from './steps.js';

/**
 * Rolling: the live colour's instances are replaced in place (new ones ready, and where the target can gate them
 * past the release's probes, before old ones go), with the release's analysis between batches where the target
 * runs them, then checked; on any failure the colour is put back on its previous image (`rollout undo`) and
 * waited for.
 */
export async function rolling(ctx: RolloutContext): Promise<RolloutResult> {
  const run = new ReleaseRun(ctx, 'rolling');
  await run.acquire();
  try {
    return await release(run);
  } finally {
    await run.releaseLock();
  }
}

async function release(run: ReleaseRun): Promise<RolloutResult> {
  const { ctx } = run;
  const live = await run.requireLiveColor();
  const state = await ctx.target.state();
  const previous = state.tracks[live].image;
  await run.begin('rolling', { color: live, image: previous }, { color: live, image: ctx.options.image });
  run.phase(`rolling ${live} from ${previous ?? 'nothing'} to ${ctx.options.image}`);

  let changed = false;
  try {
    if (ctx.options.replicas !== undefined && ctx.options.replicas !== state.tracks[live].desired) {
      await ctx.target.scale(live, ctx.options.replicas);
      run.did(`scaled ${live} to ${ctx.options.replicas}`);
    }
    await ctx.target.setImage(live, ctx.options.image, {
      ...admissionOf(run),
      betweenBatches: () => checkBatch(run, live),
    });
    changed = true;
    run.did(`set ${live} to ${ctx.options.image}`);
    await waitFor(run, live);
    await analyse(run, live, ctx.analyses, 'after the update');
    await analyse(run, live, ctx.afterSwitch, 'through the front door');
  } catch (err) {
    const reason = reasonOf(err, run.ctx.signal);
    if (!changed) {
      await run.finish('rolled-back', `${reason}; nothing was changed`);
      return run.result('rolled-back', reason);
    }
    const failed = await undo(run, live);
    if (failed) {
      await run.finish('rollback-failed', `${reason}; undo failed: ${failed}`);
      return run.result('rollback-failed', `${reason}; undo failed: ${failed}`);
    }
    await run.finish('rolled-back', `${reason}; ${live} is back on ${previous ?? 'its previous image'}`);
    return run.result('rolled-back', reason);
  }
  await run.finish('succeeded', `${ctx.options.image} serves on ${live}`);
  return run.result('succeeded');
}

/**
 * The analysis between two batches, with the new instances serving their share: every instance of the colour
 * (probes, Prometheus), then requests through the front door. Returns why the update must stop, or null.
 */
async function checkBatch(run: ReleaseRun, color: Color): Promise<string | null> {
  try {
    await analyse(run, color, run.ctx.analyses, 'between batches');
    await analyse(run, color, run.ctx.afterSwitch, 'through the front door between batches');
    return null;
  } catch (err) {
    return reasonOf(err, run.ctx.signal);
  }
}

/** `rollout undo` and wait for it, on a signal of its own (the release's may have been interrupted). */
export async function undo(run: ReleaseRun, color: Color): Promise<string | null> {
  try {
    run.phase(`rolling back ${color} to its previous image`);
    await run.ctx.target.undo(color);
    run.did(`undid the last change of ${color}`);
    await waitFor(run, color, run.retreatSignal());
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
