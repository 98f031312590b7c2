/** The signal of one request and the means to let go of its timer once the request is over. */
export interface RequestDeadline {
  /** Aborts when the caller's signal aborts or `timeoutMs` passes, whichever comes first. */
  readonly signal: AbortSignal;
  /** Clears the timer and the listener on the caller's signal; call it when the request has ended. */
  release(): void;
}

/**
 * A per-request deadline built from a plain timer and controller. Not `AbortSignal.any` with
 * `AbortSignal.timeout`: on Node 20 the composite can lose the timeout's abort when nothing else holds the timeout
 * signal (nodejs/node#57736), and a request to a server that never answers then hangs until the caller gives up.
 */
export function requestDeadline(timeoutMs: number, parent?: AbortSignal): RequestDeadline {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
