/** Process state the HTTP layer reads on every request; server.ts flips `shuttingDown` on SIGTERM. */
export interface AppState {
  /** Readiness answers 503 and new requests are refused with SHUTTING_DOWN while this is true. */
  shuttingDown: boolean;
  /** Epoch milliseconds when the process started serving, for `/health` uptime. */
  startedAt: number;
}

export const createAppState = (): AppState => ({ shuttingDown: false, startedAt: Date.now() });
