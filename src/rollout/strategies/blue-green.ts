import type { RolloutContext, RolloutResult } from './context.js';
import { ReleaseRun, reasonOf, replicasOf } from './run.js';
import { analyse, deploy, retire, retreat, switchTraffic } from './steps.js';

/**
 * Blue-green: the new image goes on the idle colour at full size; once every instance is ready and passes its
 * checks, traffic moves in one switch, is checked through the front door, and the old colour is kept for the
 * scale-down delay. Any failure before the switch leaves traffic where it was; after it, traffic goes back.
 */
export async function blueGreen(ctx: RolloutContext): Promise<RolloutResult> {
  const run = new ReleaseRun(ctx, 'blue-green');
  await run.acquire();
  try {
    return await switchColors(run, ctx.options.image);
  } finally {
    await run.releaseLock();
  }
}

/** The blue-green release of `image` under a held lock; `rollback` reuses it to go back to the previous image. */
export async function switchColors(run: ReleaseRun, image: string): Promise<RolloutResult> {
  const { ctx } = run;
  const stable = await run.requireLiveColor();
  const candidate = run.otherThan(stable);
  const state = await ctx.target.state();
  const replicas = ctx.options.replicas ?? replicasOf(ctx.target, state.tracks[stable].desired);
  await run.begin(
    'blue-green',
    { color: stable, image: state.tracks[stable].image },
    { color: candidate, image },
  );
  run.phase(`releasing ${image} on ${candidate} (${replicas} instances); ${stable} serves`);

  let switched = false;
  try {
    await deploy(run, candidate, image, replicas);
    await analyse(run, candidate, ctx.analyses, 'before the switch');
    await run.update({ message: `switching traffic to ${candidate}` });
    switched = true;
    await switchTraffic(run, candidate);
    await analyse(run, candidate, ctx.afterSwitch, 'after the switch');
  } catch (err) {
    const reason = reasonOf(err, run.ctx.signal);
    // Before the switch no traffic reached the candidate; switching "back" is then a verified no-op.
    const failed = await retreat(run, stable, candidate);
    if (failed) {
      await run.finish('rollback-failed', `${reason}; rollback failed: ${failed}`);
      return run.result('rollback-failed', `${reason}; rollback failed: ${failed}`);
    }
    await run.finish(
      'rolled-back',
      `${reason}; traffic on ${stable} (${switched ? 'switched back' : 'never left'})`,
    );
    return run.result('rolled-back', reason);
  }
  await retire(run, stable);
  await run.finish('succeeded', `${image} serves on ${candidate}`);
  return run.result('succeeded');
}
