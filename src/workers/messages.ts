/** What the primary and its workers tell each other over the worker pool's IPC channel (besides metrics and cache). */
export const WORKER_READY = 'sift:worker-ready';

export interface WorkerReady {
  type: typeof WORKER_READY;
  url: string;
}

export const isWorkerReady = (m: unknown): m is WorkerReady =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === WORKER_READY;

/** Sent by the primary to a worker being replaced: hand traffic over, then exit 0. */
export const HANDOFF = 'sift:handoff';

export const isHandoff = (m: unknown): boolean =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === HANDOFF;
