import { SiftError } from '../../errors.js';
import type { ReleaseRecord } from '../types.js';
import { switchColors } from './blue-green.js';
import { continueSteps } from './canary.js';
import type { RolloutContext, RolloutResult } from './context.js';
import { undo } from './rolling.js';
import { ReleaseRun } from './run.js';
import { retreat } from './steps.js';
import { requestOfRunning } from './request-running.js';

/**
 * promote, abort and rollback act on the release record the strategies keep with the target. Each takes the
 * deploy lock first, so none of them can race a release that is still running; while one runs, promote and abort
 * write a request into its record instead, which the running release acts on (./requests.ts).
 */

const unfinished = (r: ReleaseRecord): boolean => r.phase === 'paused' || r.phase === 'progressing';

async function withRecord(
  ctx: RolloutContext,
  strategy: 'promote' | 'abort' | 'rollback',
  fn: (run: ReleaseRun, record: ReleaseRecord | null) => Promise<RolloutResult>,
  whenLocked?: (locked: SiftError) => Promise<RolloutResult>,
): Promise<RolloutResult> {
  const run = new ReleaseRun(ctx, strategy);
  try {
    await run.acquire();
  } catch (err) {
    // A running release holds the lock: ask it, through its record, instead of refusing.
    if (whenLocked && err instanceof SiftError && err.code === 'DEPLOY_LOCKED') return whenLocked(err);
    throw err;
  }
  try {
    const record = await ctx.target.store.read();
    if (record) run.adopt(record);
    return await fn(run, record);
  } finally {
    await run.releaseLock();
  }
}

/** Resumes a paused canary at its next step, or (`full`) sends it all traffic now. */
export function promote(ctx: RolloutContext, full = false): Promise<RolloutResult> {
  return withRecord(
    ctx,
    'promote',
    async (run, record) => {
      if (!record || record.strategy !== 'canary' || record.phase !== 'paused') {
        throw new SiftError(
          'DEPLOY_NO_RELEASE',
          record
            ? `the last release (${record.id}, ${record.strategy}) is ${record.phase}, not a paused canary; nothing was changed`
            : 'no release has been recorded on this target; nothing was changed',
        );
      }
      await run.update({ phase: 'progressing', message: 'promoted' });
      run.phase(
        full
          ? `promoting ${record.candidate.color} fully`
          : `resuming the canary at step ${record.step ?? 0}`,
      );
      return continueSteps(run, record.step ?? 0, full);
    },
    (locked) => requestOfRunning(ctx, 'promote', locked),
  );
}

/**
 * Stops an unfinished release (a paused canary, or one whose process died) and puts all traffic on the stable
 * version. With nothing in progress it changes nothing.
 */
export function abort(ctx: RolloutContext): Promise<RolloutResult> {
  return withRecord(
    ctx,
    'abort',
    async (run, record) => {
      if (!record || !unfinished(record)) {
        run.phase('nothing in progress; nothing was changed');
        return run.result('noop');
      }
      const failed =
        record.strategy === 'rolling'
          ? await undo(run, record.candidate.color)
          : await retreat(run, record.stable.color, record.candidate.color);
      if (failed) {
        await run.finish('rollback-failed', `abort failed: ${failed}`);
        return run.result('rollback-failed', failed);
      }
      await run.finish(
        'aborted',
        `aborted; traffic on ${record.stable.color} (${record.stable.image ?? 'unknown'})`,
      );
      return run.result('aborted', 'aborted by the operator');
    },
    (locked) => requestOfRunning(ctx, 'abort', locked),
  );
}

/**
 * Goes back to the version before the last release. An unfinished release is aborted; a finished blue-green or
 * canary is released back onto the idle colour (blue-green, with every check); a rolling one is undone in place.
 */
export function rollback(ctx: RolloutContext): Promise<RolloutResult> {
  return withRecord(ctx, 'rollback', async (run, record) => {
    if (!record || record.phase !== 'succeeded') {
      if (record && unfinished(record)) {
        const failed = await retreat(run, record.stable.color, record.candidate.color);
        if (failed) {
          await run.finish('rollback-failed', `rollback failed: ${failed}`);
          return run.result('rollback-failed', failed);
        }
        await run.finish('rolled-back', `rolled back; traffic on ${record.stable.color}`);
        return run.result('rolled-back', 'rolled back by the operator');
      }
      throw new SiftError(
        'DEPLOY_NO_RELEASE',
        record
          ? `the last release (${record.id}) is ${record.phase}; there is no newer version to roll back from`
          : 'no release has been recorded on this target; nothing was changed',
      );
    }
    if (record.stable.image === null) {
      throw new SiftError(
        'DEPLOY_NO_RELEASE',
        `the release before ${record.id} is unknown; nothing was changed`,
      );
    }
    if (record.strategy === 'rolling') {
      const failed = await undo(run, record.candidate.color);
      if (failed) {
        await run.finish('rollback-failed', `undo failed: ${failed}`);
        return run.result('rollback-failed', failed);
      }
      await run.finish('rolled-back', `${record.candidate.color} is back on ${record.stable.image}`);
      return run.result('rolled-back', 'rolled back by the operator');
    }
    const back = await switchColors(run, record.stable.image);
    // Going back is itself a blue-green release: if it fails, traffic stays on the current version.
    const outcome =
      back.outcome === 'succeeded'
        ? 'rolled-back'
        : back.outcome === 'rolled-back'
          ? 'unchanged'
          : back.outcome;
    return { ...back, strategy: 'rollback', outcome };
  });
}
