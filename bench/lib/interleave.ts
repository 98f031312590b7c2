import { percentile, round } from './stats.js';

export interface Peer {
  name: string;
  url: string;
  /** One path per query, same order for every peer. */
  paths: string[];
}

export interface PeerResult {
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

/**
 * One connection per peer, requests one at a time (c=1), the peers taking turns on the same query, for `seconds`:
 * every peer sees the same queries under the same machine load, so a busy neighbour moves both sides alike. The
 * rate of a peer is its requests over the time spent in its own requests.
 */
export async function interleaved(peers: Peer[], seconds: number): Promise<Record<string, PeerResult>> {
  const times = peers.map(() => [] as number[]);
  const errors = peers.map(() => 0);
  const until = performance.now() + seconds * 1000;
  const n = peers[0]!.paths.length;
  for (let i = 0; performance.now() < until; i++) {
    for (let p = 0; p < peers.length; p++) {
      const peer = peers[(p + i) % peers.length]!; // who goes first alternates
      const t0 = performance.now();
      try {
        const res = await fetch(peer.url + peer.paths[i % n]!, { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        if (!res.ok) errors[peers.indexOf(peer)]!++;
      } catch {
        errors[peers.indexOf(peer)]!++;
      }
      times[peers.indexOf(peer)]!.push(performance.now() - t0);
    }
  }
  const out: Record<string, PeerResult> = {};
  peers.forEach((peer, p) => {
    const t = times[p]!;
    const spent = t.reduce((a, b) => a + b, 0) / 1000;
    t.sort((a, b) => a - b);
    out[peer.name] = {
      requests: t.length,
      rps: Math.round(t.length / spent),
      p50_ms: round(percentile(t, 50), 3),
      p99_ms: round(percentile(t, 99), 3),
      errors: errors[p]!,
    };
  });
  return out;
}
