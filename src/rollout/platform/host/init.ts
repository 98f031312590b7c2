import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HaproxySettings, HostConfig } from './config.js';
import { renderBackend } from './haproxy-backend.js';
import { initialState } from './host-state.js';
import { readTextOrNull, writeFileAtomic } from './state-file.js';
import { foreignServers, parseUpstream, renderUpstream } from './upstream.js';

export interface HostInit {
  /** What was created or replaced, one line each. */
  readonly wrote: readonly string[];
  /** What was there already and left alone. */
  readonly kept: readonly string[];
}

/**
 * Prepares a host for its first `sift deploy` (`sift deploy init`): nginx refuses to start while the upstream
 * include it names is missing, and the include shipped in deploy/nginx names the compose stack's servers, which
 * do not resolve on a host. So the include is written for this host (blue active, one server marked down: nginx
 * answers 502 until the first release) when it is missing, or when it still is that sample and nothing was ever
 * deployed here. An include the deploy tooling wrote, or one naming this host's ports, is left alone.
 */
export async function initHost(config: HostConfig): Promise<HostInit> {
  const wrote: string[] = [];
  const kept: string[] = [];
  await mkdir(config.stateDir, { recursive: true });
  if (config.haproxy) return initHaproxy(config, config.haproxy);
  const path = config.nginx!.upstreamFile;
  const text = await readTextOrNull(path);
  const deployed = (await readTextOrNull(join(config.stateDir, 'state.json'))) !== null;
  const sample = text !== null && !deployed && isForeignOnly(text, config);
  if (text === null || sample) {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, renderUpstream(initialState('blue'), config));
    wrote.push(
      `${path}: ${text === null ? 'created' : 'replaced the sample'} (blue active, no instance yet)`,
    );
  } else {
    kept.push(`${path}: already set up for this host`);
  }
  return { wrote, kept };
}

/**
 * HAProxy refuses to start while a configuration file it is given is missing: the backend file is written (blue
 * active, every server in maintenance: HAProxy answers 503 until the first release) when it does not exist.
 */
async function initHaproxy(config: HostConfig, settings: HaproxySettings): Promise<HostInit> {
  const path = settings.backendFile;
  if ((await readTextOrNull(path)) !== null) return { wrote: [], kept: [`${path}: already there`] };
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, renderBackend(initialState('blue'), config, settings));
  return { wrote: [`${path}: created (blue active, no instance yet)`], kept: [] };
}

function isForeignOnly(text: string, config: HostConfig): boolean {
  const parsed = parseUpstream(text, config);
  return parsed.servers.length > 0 && foreignServers(parsed).length === parsed.servers.length;
}
