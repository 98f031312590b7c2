import { SiftError } from '../../errors.js';
import type { ReleaseRecord } from '../types.js';
import type { RolloutContext, RolloutResult } from './context.js';
import { pause } from '../pause.js';
import { REQUEST_POLL_MS } from './requests.js';

/** How long `abort`/`promote` wait for the running release to take their request (it polls every second). */
export const REQUEST_TAKE_TIMEOUT_MS = 30_000;
const WATCH_MS = 250;

/**
 * `abort` or `promote` while another process runs the release (it holds the lock): writes the request into the
 * release record with the store's compare-and-swap, waits (bounded) until the release took it, and for `abort`
 * until it finished rolling back (bounded by --rollback-timeout); reports what the release then did. A request
 * not taken in time is withdrawn, so it cannot fire later by surprise.
 */
export async function requestOfRunning(
  ctx: RolloutContext,
  action: 'abort' | 'promote',
  locked: SiftError,
): Promise<RolloutResult> {
  const { store } = ctx.target;
  const at = new Date().toISOString();
  let refusal: string | null = null;
  const written = await store.update((r) => {
    refusal = refusalOf(r, action);
    return refusal || !r ? null : { ...r, request: { action, by: ctx.owner, at } };
  });
  if (refusal || !written) throw refusal ? new SiftError('DEPLOY_NO_RELEASE', refusal) : locked;
  const id = written.id;
  report(
    ctx,
    `asked the running release ${id} (${written.owner}) to ${action}; waiting for it to take the request`,
  );

  const takeBy = Date.now() + REQUEST_TAKE_TIMEOUT_MS + REQUEST_POLL_MS;
  let record: ReleaseRecord | null = written;
  while (!(record?.id === id && record.request?.at === at && record.request.takenAt)) {
    if (record?.id !== id || record.phase !== 'progressing') break; // it ended (or was replaced) before taking it
    if (Date.now() > takeBy) {
      await store.update((r) =>
        r?.id === id && r.request?.at === at && !r.request.takenAt ? withoutRequest(r) : null,
      );
      throw new SiftError(
        'DEPLOY_LOCKED',
        `the running release ${id} (${written.owner}) did not take the ${action} request within ${REQUEST_TAKE_TIMEOUT_MS / 1000} s; the request was withdrawn`,
      );
    }
    if (!(await pause(WATCH_MS, ctx.signal))) throw stoppedWaiting(id, action);
    record = await store.read();
  }
  const taken = record?.id === id && record.request?.at === at && record.request.takenAt;
  if (action === 'promote') {
    if (!taken) throw new SiftError('DEPLOY_NO_RELEASE', endedMessage(record, id));
    report(ctx, `release ${id} took the promote request`);
    return result(ctx, 'promote', 'succeeded', `release ${id} took the promote request`, record);
  }

  // Abort: wait for the rollback to finish, as an abort run here would.
  const doneBy = Date.now() + ctx.options.rollbackTimeoutMs + REQUEST_TAKE_TIMEOUT_MS;
  while (record?.id === id && record.phase === 'progressing' && Date.now() < doneBy) {
    if (!(await pause(WATCH_MS, ctx.signal))) throw stoppedWaiting(id, action);
    record = await store.read();
  }
  const phase = record?.id === id ? record.phase : 'unknown';
  report(ctx, `release ${id} is ${phase}: ${record?.message ?? ''}`);
  if (phase === 'rolled-back' || phase === 'aborted')
    return result(ctx, 'abort', 'aborted', `release ${id} was aborted and rolled back`, record);
  if (phase === 'rollback-failed')
    return result(ctx, 'abort', 'rollback-failed', record?.message ?? 'rollback failed', record);
  if (phase === 'progressing')
    throw new SiftError(
      'DEPLOY_LOCKED',
      `release ${id} took the abort request but is still rolling back after ${Math.round((ctx.options.rollbackTimeoutMs + REQUEST_TAKE_TIMEOUT_MS) / 1000)} s; check \`sift deploy status\``,
    );
  // It finished otherwise (it succeeded before it saw the request, or paused): say so, nothing was aborted.
  return result(ctx, 'abort', 'noop', endedMessage(record, id), record);
}

/** Ctrl-C (or --timeout) of the asking command stops its wait; the request stands, the release acts on it. */
const stoppedWaiting = (id: string, action: string) =>
  new SiftError(
    'DEPLOY_LOCKED',
    `stopped waiting; the ${action} request stays in release ${id}'s record: follow it with \`sift deploy status\``,
  );

function refusalOf(r: ReleaseRecord | null, action: 'abort' | 'promote'): string | null {
  if (!r || r.phase !== 'progressing') return null; // not running: the lock holder is someone else; refuse as locked
  if (action === 'promote' && r.strategy !== 'canary')
    return `the running release ${r.id} is ${r.strategy}, not a canary; there is nothing to promote; nothing was changed`;
  return null;
}

const withoutRequest = (r: ReleaseRecord): ReleaseRecord => {
  const rest: { -readonly [K in keyof ReleaseRecord]?: ReleaseRecord[K] } = { ...r };
  delete rest.request;
  return rest as ReleaseRecord;
};

const endedMessage = (record: ReleaseRecord | null, id: string) =>
  record?.id === id
    ? `release ${id} ended (${record.phase}: ${record.message}) before it took the request`
    : `release ${id} is no longer the last release`;

function report(ctx: RolloutContext, message: string): void {
  ctx.report({ type: 'phase', message });
}

function result(
  ctx: RolloutContext,
  strategy: 'abort' | 'promote',
  outcome: RolloutResult['outcome'],
  reason: string,
  record: ReleaseRecord | null,
): RolloutResult {
  return { strategy, outcome, dryRun: ctx.options.dryRun, actions: [], measurements: [], reason, record };
}
