/**
 * Which node of a multi-node cluster a request tries first, and which ones Sift has stopped trusting. A node is
 * *suspect* once an attempt on it was refused, lost its connection or timed out: requests then go to the trusted
 * nodes first, and a suspect is tried only when every trusted node failed them too. A suspect becomes trusted
 * again only when a probe (a small request Sift sends on its own, see failover.ts) is answered, so no user's
 * request pays for finding out that a hung node is still hung. The first probe goes at once: a healthy node also
 * times out when it waits on a hung one (a search on the hung node's shard copy, a write to its primary), and it
 * answers a probe straight away. A suspect whose probe failed too is *unreachable*: searches then ask the cluster
 * to prefer the other nodes' shard copies (failover.ts). Probes of an unreachable node come further apart the
 * longer it stays so.
 *
 * Pure bookkeeping with no clock of its own: the caller passes the time.
 */

/** First probe of a node that has just become suspect, in milliseconds after it failed. */
export const FIRST_PROBE_MS = 0;
/** The probe after the first failed one, in milliseconds; each further one waits twice as long. */
export const NEXT_PROBE_MS = 250;
/** Probes of a node that keeps failing come at most this far apart. */
export const MAX_PROBE_MS = 5000;

interface NodeState {
  suspect: boolean;
  /** Failures (attempts and probes) since the node was last trusted. */
  strikes: number;
  /** When the node became suspect (for ordering the suspects: the one failing longest goes last). */
  since: number;
  /** A probe of the suspect failed too: it does not answer anything. */
  unreachable: boolean;
}

export class NodeHealth {
  private readonly states: NodeState[];
  /** Where the next request starts its round over the trusted nodes (round-robin spreads the load). */
  private cursor = 0;

  constructor(readonly size: number) {
    this.states = Array.from({ length: size }, () => ({
      suspect: false,
      strikes: 0,
      since: 0,
      unreachable: false,
    }));
  }

  /**
   * The nodes in the order one request tries them: the trusted ones round-robin (each request starts one further
   * on), then the suspects, the most recently failed first (the one failing longest is the least likely back).
   */
  order(): number[] {
    const start = this.cursor;
    this.cursor = (this.cursor + 1) % this.size;
    const rotated = Array.from({ length: this.size }, (_, k) => (start + k) % this.size);
    const trusted = rotated.filter((i) => !this.states[i]!.suspect);
    const suspects = rotated
      .filter((i) => this.states[i]!.suspect)
      .sort((a, b) => this.states[b]!.since - this.states[a]!.since);
    return [...trusted, ...suspects];
  }

  isSuspect(node: number): boolean {
    return this.states[node]!.suspect;
  }

  /** The nodes not known to be unreachable, in index order. */
  reachable(): number[] {
    return this.states.flatMap((s, i) => (s.unreachable ? [] : [i]));
  }

  /**
   * Records a failure of the node (an attempt or a probe); answers how long to wait before probing it, or
   * undefined when a probe is already due (it was suspect before: its probe schedule runs on its own).
   */
  fail(node: number, now: number): number | undefined {
    const s = this.states[node]!;
    s.strikes++;
    if (s.suspect) return undefined;
    s.suspect = true;
    s.since = now;
    return FIRST_PROBE_MS;
  }

  /** A probe of the suspect failed: it is unreachable (it stays suspect). */
  probeFailed(node: number, now: number): void {
    this.fail(node, now);
    this.states[node]!.unreachable = true;
  }

  /** When to probe a suspect again after its probe failed: 250 ms, then twice as long each time, up to 5 s. */
  nextProbeMs(node: number): number {
    const strikes = this.states[node]!.strikes;
    return Math.min(MAX_PROBE_MS, NEXT_PROBE_MS * 2 ** Math.max(0, strikes - 2));
  }

  /** The node answered (a request or a probe): trusted again. */
  trust(node: number): void {
    const s = this.states[node]!;
    s.suspect = false;
    s.strikes = 0;
    s.unreachable = false;
  }
}
