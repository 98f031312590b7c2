/**
 * Restart delays for crashed workers: immediate for a worker that ran a while, then doubling while workers keep
 * dying young (a crash loop must not spin the CPU or flood the logs), capped.
 */
export class RestartBackoff {
  private failures = 0;

  constructor(
    private readonly baseMs = 250,
    private readonly maxMs = 30_000,
    /** A worker that lived this long counts as healthy: the next crash starts the sequence over. */
    private readonly healthyAfterMs = 30_000,
  ) {}

  /** The delay before replacing a worker that crashed after living `livedMs`. */
  next(livedMs: number): number {
    if (livedMs >= this.healthyAfterMs) this.failures = 0;
    const delay = this.failures === 0 ? 0 : Math.min(this.maxMs, this.baseMs * 2 ** (this.failures - 1));
    this.failures++;
    return delay;
  }
}
