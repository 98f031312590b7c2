/**
 * Keeps the writes of one id in order when several bulk requests are in flight. Two requests in flight at once
 * are applied by the cluster in either order, so if both write document X, the one sent first could land last and
 * "the last occurrence wins" would hold by luck. A request passes the gate once every request that entered before
 * it and writes one of its ids is done (retries included), and holds its ids until it is done itself.
 *
 * Entering registers at once, in call order, so a later request can never overtake an earlier one that is still
 * waiting: each waits only on earlier entries, so there is no cycle.
 */
export class IdGate {
  private readonly open = new Set<{ ids: ReadonlySet<string>; done: Promise<void> }>();

  /** Waits for the earlier writes of any of `ids`, then holds them until the returned release is called. */
  async enter(ids: ReadonlySet<string>): Promise<() => void> {
    const earlier: Promise<void>[] = [];
    for (const entry of this.open) if (overlaps(entry.ids, ids)) earlier.push(entry.done);
    let release!: () => void;
    const entry = { ids, done: new Promise<void>((resolve) => (release = resolve)) };
    this.open.add(entry);
    await Promise.all(earlier);
    return () => {
      this.open.delete(entry);
      release();
    };
  }
}

function overlaps(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const id of small) if (large.has(id)) return true;
  return false;
}
