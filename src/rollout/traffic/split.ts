import { SiftError } from '../../errors.js';
import type { TrafficSplit } from '../types.js';

/** A traffic percentage must be a whole number from 0 to 100; anything else is refused before any change. */
export function checkPercent(percent: number): void {
  if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new SiftError(
      'DEPLOY_INVALID',
      `a traffic weight must be a whole number from 0 to 100, got ${percent}`,
      {
        weight: percent,
      },
    );
  }
}

export const sameSplit = (a: TrafficSplit, b: TrafficSplit): boolean =>
  a.blue === b.blue && a.green === b.green;
