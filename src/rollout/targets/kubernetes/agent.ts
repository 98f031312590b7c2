import { COLORS } from '../../types.js';
import { pause } from '../../pause.js';
import type { KubernetesTarget } from './target.js';

export interface KubernetesAgentOptions {
  /** Time between two looks at the pods. */
  readonly intervalMs: number;
  /** Paths a waiting pod must answer 2xx before it is admitted (the release's probes, `--probe-path`). */
  readonly admission: readonly string[];
  /** Headers of those probes (`--probe-header`: the credentials when reads need a key). */
  readonly probeHeaders?: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

/**
 * `sift deploy agent` on Kubernetes: the admitter of pods created while no release runs. The controller replaces
 * a crashed or evicted pod and an autoscaler adds pods at any time; with the admission gate in their template they
 * stay out of the Service until someone admits them. The agent looks every `intervalMs` and admits each waiting pod
 * of either colour once it passed the probes; while a release holds the deploy lock it does nothing (the release
 * admits its own pods, batch by batch, with its analysis between batches). Resolves when the signal aborts.
 */
export async function runKubernetesAgent(target: KubernetesTarget, options: KubernetesAgentOptions) {
  const headers = options.probeHeaders ?? {};
  let lastHolder: string | null = null;
  let lastError = '';
  const refusedBefore = new Set<string>();
  options.log(
    `admitting new pods of ${target.client.namespace}/${target.app}-{blue,green} after ${options.admission.join(', ')}, every ${options.intervalMs} ms`,
  );
  while (!options.signal.aborted) {
    try {
      const holder = await target.store.holder();
      if (holder !== lastHolder) {
        options.log(holder ? `a release runs (${holder}): it admits its own pods` : 'no release runs');
        lastHolder = holder;
      }
      for (const color of holder ? [] : COLORS) {
        const { admitted, refused } = await target.admitWaiting(
          color,
          options.admission,
          headers,
          options.signal,
        );
        for (const pod of admitted) options.log(`${color}: admitted ${pod}`);
        // A refused pod is tried again on every look; its reason is logged once.
        for (const reason of refused) if (!refusedBefore.has(reason)) options.log(`${color}: ${reason}`);
        for (const reason of refused) refusedBefore.add(reason);
        if (refusedBefore.size > 1000) refusedBefore.clear();
      }
      lastError = '';
    } catch (err) {
      // Logged when it changes: an agent left running against a missing Deployment must not flood its log.
      const message = `cannot admit pods now: ${(err as Error).message}`;
      if (message !== lastError) options.log(message);
      lastError = message;
    }
    await pause(options.intervalMs, options.signal);
  }
}
