import { createServer } from 'node:net';
import { join } from 'node:path';
import { SiftError } from '../../../errors.js';
import type { Color } from '../../types.js';
import type { HostConfig } from '../../platform/host/config.js';
import type { HostState } from '../../platform/host/host-state.js';
import { httpGet } from '../../http-get.js';
import {
  exitOf,
  isAlive,
  listensOn,
  type ProcessIdentity,
  type SpawnSpec,
} from '../../platform/host/processes.js';
import { expand, type TemplateValues } from '../../platform/host/templates.js';
import { pause } from '../../pause.js';

/** A release the config can run: any, or only those listed under `releases:`. */
export function checkRelease(config: HostConfig, image: string): void {
  if (image.trim() === '' || /\s/.test(image)) {
    throw new SiftError('DEPLOY_INVALID', `--image: "${image}" is not a release name`);
  }
  if (config.releases && !(image in config.releases)) {
    throw new SiftError(
      'DEPLOY_INVALID',
      `--image: release "${image}" is not in host config ${config.source} (releases: ${Object.keys(config.releases).join(', ')})`,
    );
  }
}

export const instanceId = (color: Color, port: number) => `${color}-${port}`;

/** The command, environment and log file of one instance, templates filled in. */
export function spawnSpec(config: HostConfig, color: Color, port: number, image: string): SpawnSpec {
  const id = instanceId(color, port);
  const values: TemplateValues = { image, port: String(port), color, id, stateDir: config.stateDir };
  const release = config.releases?.[image];
  const command = (release?.command ?? config.command).map((a) => expand(a, values));
  const env: NodeJS.ProcessEnv = config.inheritEnv ? { ...process.env } : {};
  for (const [k, v] of Object.entries({ ...config.env, ...release?.env })) env[k] = expand(v, values);
  return {
    command,
    env,
    cwd: config.cwd ? expand(config.cwd, values) : undefined,
    logFile: join(config.stateDir, 'logs', `${id}.log`),
  };
}

/** True when nothing listens on host:port (so a new instance can bind it). */
function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolvePromise(true)));
  });
}

/** A port of `color` that no instance holds and nothing else listens on. */
export async function freePort(config: HostConfig, state: HostState, color: Color): Promise<number | null> {
  const taken = new Set(state.instances.map((i) => i.port));
  for (const port of config.ports[color]) {
    if (!taken.has(port) && (await portIsFree(config.host, port))) return port;
  }
  return null;
}

/** The URL of `path` on the instance listening on `port`. */
export const instanceUrl = (config: HostConfig, port: number, path: string): string =>
  `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}${path}`;

export type Readiness = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Polls the readiness path of a new instance until it answers 200, its process exits, `timeoutMs` passes or the
 * signal aborts. `onStatus` hears each failed answer (for the progress view and the final reason).
 */
export async function waitInstanceReady(
  config: HostConfig,
  id: string,
  port: number,
  proc: ProcessIdentity,
  logFile: string,
  signal: AbortSignal,
  onStatus: (detail: string) => void,
): Promise<Readiness> {
  const url = instanceUrl(config, port, config.readiness.path);
  const deadline = Date.now() + config.readiness.timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (signal.aborted) return { ok: false, reason: `stopped waiting for ${id}: interrupted` };
    if (!isAlive(proc)) {
      return {
        ok: false,
        reason: `${id} ${exitOf(proc.pid) ?? 'exited'} before it was ready; see ${logFile}`,
      };
    }
    const r = await httpGet(url, config.readiness.probeTimeoutMs);
    // The answer counts only from the instance itself: another process may hold the port while it starts.
    const own = r.status === null || listensOn(proc.pid, port);
    if (r.status === 200 && own) return { ok: true };
    last = !own
      ? `port ${port} is answered by another process, not ${id} (pid ${proc.pid})`
      : r.status !== null
        ? `${config.readiness.path} answered ${r.status}`
        : `${config.readiness.path}: ${r.error}`;
    onStatus(`${id}: ${last}`);
    if (Date.now() >= deadline) {
      return {
        ok: false,
        reason: `${id} was not ready within ${config.readiness.timeoutMs / 1000} s (${last}); see ${logFile}`,
      };
    }
    await pause(config.readiness.intervalMs, signal);
  }
}
