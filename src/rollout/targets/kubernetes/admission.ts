import { PROBE_ATTEMPTS, PROBE_BACKOFF_MS, PROBE_TIMEOUT_MS } from '../../analysis/defaults.js';
import { pause } from '../../pause.js';
import type { Instance, ProbeResult } from '../../types.js';

/** Asks one path of one pod (the target's probe: the API server's pod proxy, or the pod IP). */
export type PodProbe = (
  instance: Instance,
  path: string,
  timeoutMs: number,
  headers: Readonly<Record<string, string>>,
) => Promise<ProbeResult>;

/**
 * The release's probes on one pod whose containers are ready and whose gate is still closed: each path must
 * answer 2xx, a few tries each (one dropped connection on a busy machine is not a verdict, three failures in a
 * row are). Returns why the pod must not take traffic, or null.
 */
export async function admissionRefusal(
  probe: PodProbe,
  instance: Instance,
  paths: readonly string[],
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<string | null> {
  for (const path of paths) {
    let failure: string | null = null;
    for (let attempt = 1; attempt <= PROBE_ATTEMPTS; attempt++) {
      const r = await probe(instance, path, PROBE_TIMEOUT_MS, headers);
      if (r.ok) {
        failure = null;
        break;
      }
      failure = r.status !== null ? `answered ${r.status}` : (r.error ?? 'no answer');
      if (attempt < PROBE_ATTEMPTS && !(await pause(PROBE_BACKOFF_MS * attempt, signal))) {
        return `stopped probing ${instance.id}: interrupted`;
      }
    }
    if (failure !== null) {
      return `pod ${instance.id} failed the release's probe ${path} before taking traffic (${failure}, ${PROBE_ATTEMPTS} tries); it was never admitted to the Service`;
    }
  }
  return null;
}
