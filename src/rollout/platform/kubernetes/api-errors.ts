import { ApiException } from '@kubernetes/client-node';
import { SiftError } from '../../../errors.js';

/**
 * Errors of the Kubernetes API turned into Sift's deploy codes, with messages that name the object. The generated
 * client throws ApiException for HTTP statuses (its body is the server's Status as text) and node-fetch errors
 * (with a system `code`) when the server cannot be reached; watches and raw requests report `statusCode`.
 */

/** The HTTP status of a failed API call, or undefined when no response came back. */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (err && typeof err === 'object') {
    const e = err as { statusCode?: unknown; code?: unknown };
    if (typeof e.statusCode === 'number') return e.statusCode;
    if (typeof e.code === 'number') return e.code;
  }
  return undefined;
}

export const isNotFound = (err: unknown): boolean => httpStatusOf(err) === 404;
export const isConflict = (err: unknown): boolean => httpStatusOf(err) === 409;
export const isGone = (err: unknown): boolean => httpStatusOf(err) === 410;

/** The server's own words: the `message` of the Status it answered with, else the error's message. */
export function serverMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        const status = JSON.parse(body) as { message?: unknown };
        if (typeof status.message === 'string') return status.message;
      } catch {
        // not JSON: fall through to the raw text
      }
      if (body.trim() !== '') return body.trim().slice(0, 300);
    }
    if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
      return (body as { message: string }).message;
    }
    return `HTTP ${err.code}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Maps a failed call on `what` (e.g. `Deployment team/sift-blue`) to a SiftError: unreachable or refused
 * credentials are DEPLOY_TARGET_UNAVAILABLE, a missing or invalid object is DEPLOY_INVALID.
 */
export function toDeployError(err: unknown, what: string): SiftError {
  if (err instanceof SiftError) return err;
  const status = httpStatusOf(err);
  const said = serverMessage(err);
  if (status === undefined) {
    return new SiftError(
      'DEPLOY_TARGET_UNAVAILABLE',
      `cannot reach the Kubernetes API server for ${what}: ${said}`,
      {
        object: what,
      },
    );
  }
  if (status === 401 || status === 403) {
    const why = status === 401 ? 'rejected the credentials' : 'forbids this';
    return new SiftError(
      'DEPLOY_TARGET_UNAVAILABLE',
      `the Kubernetes API server ${why} for ${what}: ${said}`,
      {
        object: what,
        status,
      },
    );
  }
  if (status === 404) {
    return new SiftError('DEPLOY_INVALID', `${what} not found: ${said}`, { object: what, status });
  }
  if (status === 400 || status === 409 || status === 422) {
    return new SiftError(
      'DEPLOY_INVALID',
      `the Kubernetes API server refused the change to ${what}: ${said}`,
      {
        object: what,
        status,
      },
    );
  }
  return new SiftError('DEPLOY_TARGET_UNAVAILABLE', `the Kubernetes API server failed on ${what}: ${said}`, {
    object: what,
    status,
  });
}

/** Runs one API call, mapping its failure to a SiftError naming `what`. */
export async function kubeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toDeployError(err, what);
  }
}
