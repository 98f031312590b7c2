/**
 * Coalesces concurrent calls with the same key into one: while a call for a key is running, later callers get
 * its promise instead of starting their own. Nothing is remembered once it settles (caching is someone else's).
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /**
   * Runs `fn` unless a call for `key` is already running; `shared` tells whether the result was joined.
   * `linger`, given the value, keeps the key joinable until it settles, while the caller is answered at once:
   * the cache stores the result during that time, so a request arriving meanwhile neither misses the store nor
   * starts a second engine call.
   */
  async do(
    key: string,
    fn: () => Promise<T>,
    linger?: (value: T) => Promise<unknown>,
  ): Promise<{ value: T; shared: boolean }> {
    const existing = this.running.get(key);
    if (existing) return { value: await existing, shared: true };
    const started = fn();
    this.running.set(key, started);
    const release = () => {
      if (this.running.get(key) === started) this.running.delete(key);
    };
    started.then((value) => (linger ? linger(value).then(release, release) : release()), release);
    return { value: await started, shared: false };
  }

  get size(): number {
    return this.running.size;
  }
}
