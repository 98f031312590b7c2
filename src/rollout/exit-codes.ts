import type { RolloutResult } from './strategies/context.js';

/**
 * Exit codes of `sift deploy`, stable for scripts:
 *   0 the command did what it was asked (released, paused for promote, aborted, rolled back on request)
 *   1 refused or failed before changing anything (lock held, target unreachable, bad state)
 *   2 bad usage or invalid flags/steps file
 *   3 the release failed or was interrupted and was rolled back: traffic is on the previous, healthy version
 *   4 the release failed and rolling back failed too: a person must look (the output says what was done)
 */
export const DEPLOY_EXIT = { OK: 0, REFUSED: 1, USAGE: 2, ROLLED_BACK: 3, ROLLBACK_FAILED: 4 } as const;

export function deployExitCode(result: RolloutResult): number {
  switch (result.outcome) {
    case 'succeeded':
    case 'paused':
    case 'aborted':
    case 'noop':
      return DEPLOY_EXIT.OK;
    case 'rolled-back':
      return result.strategy === 'rollback' ? DEPLOY_EXIT.OK : DEPLOY_EXIT.ROLLED_BACK;
    case 'unchanged':
      return DEPLOY_EXIT.ROLLED_BACK;
    case 'rollback-failed':
      return DEPLOY_EXIT.ROLLBACK_FAILED;
  }
}
