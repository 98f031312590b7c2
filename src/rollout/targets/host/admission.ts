import type { HostConfig } from '../../platform/host/config.js';
import { pause } from '../../pause.js';
import { httpGet } from '../../http-get.js';
import { instanceUrl } from './launch.js';

/** Tries per path: one dropped connection on a busy machine is not a verdict, three failures in a row are. */
export const ADMISSION_ATTEMPTS = 3;
const BACKOFF_MS = 250;

/**
 * The release's probes on one new instance, after it answered readiness and before it joins nginx: each path must
 * answer 2xx. Readiness says the engine answers; these say users' requests do (a release whose searches answer
 * 401 is ready). Returns why the instance must not take traffic, or null.
 */
export async function admissionRefusal(
  config: HostConfig,
  id: string,
  port: number,
  paths: readonly string[],
  signal: AbortSignal,
  headers: Readonly<Record<string, string>> = {},
): Promise<string | null> {
  for (const path of paths) {
    let failure: string | null = null;
    for (let attempt = 1; attempt <= ADMISSION_ATTEMPTS; attempt++) {
      const r = await httpGet(instanceUrl(config, port, path), config.readiness.probeTimeoutMs, headers);
      if (r.status !== null && r.status >= 200 && r.status < 300) {
        failure = null;
        break;
      }
      failure = r.status !== null ? `answered ${r.status}` : (r.error ?? 'no answer');
      if (attempt < ADMISSION_ATTEMPTS && !(await pause(BACKOFF_MS * attempt, signal))) {
        return `stopped probing ${id}: interrupted`;
      }
    }
    if (failure !== null) {
      return `${id} failed the release's probe ${path} before taking traffic (${failure}, ${ADMISSION_ATTEMPTS} tries); it was stopped and never served`;
    }
  }
  return null;
}
