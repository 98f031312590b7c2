import { setTimeout as sleep } from 'node:timers/promises';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SiftError } from '../../../errors.js';
import { colorOfPort, type HaproxySettings, type HostConfig } from './config.js';
import type { HostFront } from './front.js';
import {
  activeOf,
  changeCommands,
  desiredSlots,
  parsedOf,
  parseServersState,
  renderBackend,
  sessionsByServer,
  slotName,
  type LiveServer,
  type Slot,
} from './haproxy-backend.js';
import type { HostState } from './host-state.js';
import { HaproxyRuntime } from './haproxy-runtime.js';
import { readTextOrNull, writeFileAtomic } from './state-file.js';
import type { ParsedUpstream } from './upstream.js';

/**
 * HAProxy as the host's router, never reloaded: every change is a few `set server` commands on the runtime API,
 * so the connections clients keep open to HAProxy stay open (an nginx reload closes the idle ones, and a client
 * that reuses one without retrying loses that request). The backend file is rewritten on every change as well,
 * so an HAProxy restarted from it serves the same split; the runtime state is what is read back.
 *
 * Order of a change: the servers that take (or keep) traffic get their weight and are made ready first, and only
 * then do the ones that leave go into maintenance, so the backend is never without a server in between.
 * Maintenance sends a server no new request and leaves its requests in flight to finish; the drain waits until
 * its sessions are gone (`show stat` scur).
 */
export class HaproxyFront implements HostFront {
  readonly kind = 'haproxy';
  readonly runtime: HaproxyRuntime;

  constructor(
    private readonly config: HostConfig,
    private readonly settings: HaproxySettings,
  ) {
    this.runtime = new HaproxyRuntime(settings.socket, settings.commandTimeoutMs);
  }

  get where(): string {
    return `backend ${this.settings.backend} on ${this.settings.socket}`;
  }

  get changeTimeoutMs(): number {
    // A change is at most two commands per slot.
    const slots = this.config.ports.blue.length + this.config.ports.green.length;
    return this.settings.commandTimeoutMs * (2 * slots + 2);
  }

  private async liveServers(): Promise<{ text: string; servers: LiveServer[] }> {
    const text = await this.runtime.command(`show servers state ${this.settings.backend}`);
    if (!text.includes('# be_id')) {
      throw new SiftError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `HAProxy has no backend ${this.settings.backend}: ${text.trim()} (load ${this.settings.backendFile} with -f)`,
      );
    }
    return { text, servers: parseServersState(text, this.config) };
  }

  async live(): Promise<{ text: string | null; parsed: ParsedUpstream }> {
    const { text, servers } = await this.liveServers();
    // Which colour is active when no server is ready: the file HAProxy would restart from says (the runtime
    // state has no such notion).
    const file = await readTextOrNull(this.settings.backendFile);
    return { text, parsed: parsedOf(servers, file === null ? null : activeOf(file)) };
  }

  async apply(state: HostState): Promise<number[] | null> {
    const desired = desiredSlots(state, this.config);
    const { servers } = await this.liveServers();
    const byName = new Map(servers.map((s) => [s.name, s]));
    const missing = desired.filter((d) => !byName.has(d.name)).map((d) => d.name);
    if (missing.length > 0) {
      throw new SiftError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `HAProxy's backend ${this.settings.backend} has no server ${missing.join(', ')}: it was started from an older ${this.settings.backendFile}; restart or reload HAProxy once to load the host config's ports`,
      );
    }
    const commands = changeCommands(this.settings.backend, desired, byName);
    for (const c of commands) await this.runtime.set(c);
    if (commands.length > 0) await this.confirm(desired);
    // Written once HAProxy has the change (and whenever it lags behind it), so a restart starts from what runs.
    await this.writeFile(state);
    return commands.length > 0 ? [] : null;
  }

  /** The backend file, when it differs: what a restart starts from. */
  private async writeFile(state: HostState): Promise<boolean> {
    const file = this.settings.backendFile;
    const rendered = renderBackend(state, this.config, this.settings);
    if ((await readTextOrNull(file)) === rendered) return false;
    await mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, rendered);
    return true;
  }

  /** Reads the servers back: a command HAProxy accepted but did not apply is a failed change, not a success. */
  private async confirm(desired: readonly Slot[]): Promise<void> {
    const { servers } = await this.liveServers();
    const byName = new Map(servers.map((s) => [s.name, s]));
    const wrong = desired.filter((d) => {
      const s = byName.get(d.name);
      return !s || (d.ready ? s.admin !== 'ready' || s.weight !== d.weight : s.admin !== 'maint');
    });
    if (wrong.length > 0) {
      throw new SiftError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `HAProxy accepted the change but reads back otherwise for ${wrong.map((w) => w.name).join(', ')}`,
      );
    }
  }

  async waitDrained(
    _retired: readonly number[],
    ports: readonly number[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const names = ports.flatMap((p) => {
      const color = colorOfPort(this.config, p);
      return color ? [slotName(color, p)] : [];
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const sessions = sessionsByServer(await this.runtime.command('show stat'), this.settings.backend);
      if (names.every((n) => (sessions.get(n) ?? 0) === 0)) return true;
      if (Date.now() >= deadline || signal?.aborted) return false;
      await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
    }
  }

  async checkRunning(): Promise<void> {
    await this.liveServers();
  }
}
