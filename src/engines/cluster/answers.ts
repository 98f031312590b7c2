import { SiftError } from '../../errors.js';
import type { ClusterResponse } from './transport.js';
import { errorReason, errorType, RETRY_AFTER_S } from './transport.js';

/**
 * Turns a cluster's non-answer status into the error catalogue, keeping the cluster's own answer as the `cause`:
 * a missing index is INDEX_NOT_FOUND, an overloaded or failing cluster ENGINE_UNAVAILABLE; anything else the
 * cluster refused is a request Sift should never have sent (INTERNAL: a bug, with the cluster's reason in the
 * message for the log).
 */
export function checkAnswer<T>(
  product: string,
  res: ClusterResponse<T>,
  what: string,
  index?: string,
): ClusterResponse<T> {
  if (res.status < 300) return res;
  const cause = { status: res.status, body: res.body };
  if (res.status === 404 && errorType(res.body) === 'index_not_found_exception' && index !== undefined) {
    throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index }, { cause });
  }
  if (res.status === 429 || res.status >= 500) {
    throw new SiftError(
      'ENGINE_UNAVAILABLE',
      `${product} is unavailable: ${what} answered ${res.status}: ${errorReason(res.body)}`,
      { retry_after: RETRY_AFTER_S },
      { cause },
    );
  }
  throw new SiftError(
    'INTERNAL',
    `${product} ${what} failed with ${res.status}: ${errorReason(res.body)}`,
    undefined,
    { cause },
  );
}
