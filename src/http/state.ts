/**
 * Process state the HTTP layer reads on every request; server.ts flips `shuttingDown` on SIGTERM, a pool worker
 * being replaced flips `handingOff`.
 */
export interface AppState {
  /** Readiness answers 503 and new requests are refused with SHUTTING_DOWN while this is true. */
  shuttingDown: boolean;
  /**
   * A worker handing its traffic over to its replacement (rolling restart). Unlike a shutdown, requests keep
   * being answered normally (the other workers are there, nobody needs a 503), but every response carries
   * `Connection: close`, so keep-alive clients leave this worker at the end of their current request instead of
   * having an idle connection closed under them (the race that turns into ECONNRESET on the client).
   */
  handingOff?: boolean;
  /** Epoch milliseconds when the process started serving, for `/health` uptime. */
  startedAt: number;
}

export const createAppState = (): AppState => ({
  shuttingDown: false,
  handingOff: false,
  startedAt: Date.now(),
});
