import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { GenerationSource } from './memory-store.js';

/**
 * Generations shared by the workers of one worker pool without Redis: the primary owns the counters. A worker's
 * bump asks the primary, which increments, tells every worker and answers only once each has taken the new value
 * (or ACK_TIMEOUT_MS passed, for a worker that is stuck or dying) — so the write is acknowledged to its client
 * only after no worker can answer from the old generation. Reads stay local: a map lookup, no round trip.
 */
const BUMP = 'sift:gen-bump';
const BUMPED = 'sift:gen-bumped';
const SET = 'sift:gen-set';
const SET_ACK = 'sift:gen-set-ack';
const HELLO = 'sift:gen-hello';
const ACK_TIMEOUT_MS = 2000;

type Message =
  | { type: typeof BUMP; id: string; index: string }
  | { type: typeof BUMPED; id: string }
  | { type: typeof SET; id: string; generations: Record<string, number> }
  | { type: typeof SET_ACK; id: string }
  | { type: typeof HELLO };

/** Primary side: owns the counters and fans out every bump. Call once in the primary before forking. */
export function serveWorkerPoolGenerations(): void {
  const counters: Record<string, number> = {};
  // Workers that said hello listen for SET messages; only those are waited for.
  const listening = new Set<number>();
  const waiting = new Map<string, { pending: Set<number>; done: () => void }>();

  const send = (worker: Worker, message: Message) => {
    if (worker.isConnected()) worker.send(message);
  };

  cluster.on('exit', (worker) => {
    listening.delete(worker.id);
    for (const w of waiting.values()) {
      w.pending.delete(worker.id);
      if (w.pending.size === 0) w.done();
    }
  });

  cluster.on('message', (worker: Worker, message: Message) => {
    switch (message?.type) {
      case HELLO:
        listening.add(worker.id);
        send(worker, { type: SET, id: randomUUID(), generations: { ...counters } });
        return;
      case SET_ACK: {
        const w = waiting.get(message.id);
        if (!w) return;
        w.pending.delete(worker.id);
        if (w.pending.size === 0) w.done();
        return;
      }
      case BUMP: {
        counters[message.index] = (counters[message.index] ?? 0) + 1;
        const id = randomUUID();
        const workers = Object.values(cluster.workers ?? {}).filter(
          (w): w is Worker => w !== undefined && listening.has(w.id) && w.isConnected(),
        );
        const pending = new Set(workers.map((w) => w.id));
        const finish = () => {
          clearTimeout(timer);
          waiting.delete(id);
          send(worker, { type: BUMPED, id: message.id });
        };
        const timer = setTimeout(finish, ACK_TIMEOUT_MS);
        waiting.set(id, { pending, done: finish });
        for (const w of workers)
          send(w, { type: SET, id, generations: { [message.index]: counters[message.index]! } });
        if (pending.size === 0) finish();
        return;
      }
    }
  });
}

/** Worker side: local view of the counters, kept current by the primary. */
export class WorkerPoolGenerations implements GenerationSource {
  private readonly counters = new Map<string, number>();
  // Bumped locally before asking the primary, so this worker stops serving old entries at once. Kept apart from
  // the shared counter: reusing a shared value could collide with another worker's bump still on its way here.
  private readonly localEpochs = new Map<string, number>();
  private readonly bumps = new Map<string, () => void>();
  private readonly onMessage = (message: Message) => {
    if (message?.type === SET) {
      for (const [index, g] of Object.entries(message.generations)) {
        if (g > (this.counters.get(index) ?? 0)) this.counters.set(index, g);
      }
      process.send?.({ type: SET_ACK, id: message.id } satisfies Message);
    } else if (message?.type === BUMPED) {
      this.bumps.get(message.id)?.();
    }
  };

  constructor() {
    process.on('message', this.onMessage);
    process.send?.({ type: HELLO } satisfies Message);
  }

  current(index: string): string {
    return `${this.counters.get(index) ?? 0}.${this.localEpochs.get(index) ?? 0}`;
  }

  async bump(index: string): Promise<void> {
    this.localEpochs.set(index, (this.localEpochs.get(index) ?? 0) + 1);
    const id = randomUUID();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ACK_TIMEOUT_MS * 2);
      const bumps = this.bumps;
      function finish() {
        clearTimeout(timer);
        bumps.delete(id);
        resolve();
      }
      bumps.set(id, finish);
      if (!process.send?.({ type: BUMP, id, index } satisfies Message)) finish();
    });
  }

  close(): void {
    process.off('message', this.onMessage);
    for (const finish of this.bumps.values()) finish();
  }
}
