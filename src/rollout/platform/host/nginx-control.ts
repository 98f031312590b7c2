import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SiftError } from '../../../errors.js';
import type { NginxSettings } from './config.js';
import { childPids, holdsListeningSocket, isAlive } from './processes.js';

const run = promisify(execFile);

export interface ToolOutcome {
  readonly ok: boolean;
  readonly output: string;
}

/**
 * The running nginx: `nginx -t` and `nginx -s reload` with the same -p/-c the operator runs it with (or SIGHUP to
 * the master when only the pid file is known). A reload is confirmed, not assumed: nginx applies a new
 * configuration by starting new workers, and when it cannot (a config that broke after `-t`, a port it cannot
 * bind) it keeps the old ones and only logs. So a reload counts once a worker that did not exist before appears.
 */
export class NginxControl {
  constructor(private readonly settings: NginxSettings) {}

  private get pathArgs(): string[] {
    return [
      ...(this.settings.prefix ? ['-p', this.settings.prefix] : []),
      ...(this.settings.conf ? ['-c', this.settings.conf] : []),
    ];
  }

  private async nginx(args: string[]): Promise<ToolOutcome> {
    try {
      const r = await run(this.settings.binary, [...args, ...this.pathArgs], { timeout: 60_000 });
      return { ok: true, output: `${r.stdout}${r.stderr}`.trim() };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message };
    }
  }

  /** `nginx -t`: the whole configuration, with the include as it is on disk now. */
  test(): Promise<ToolOutcome> {
    return this.nginx(['-t', '-q']);
  }

  async masterPid(): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.settings.pidFile, 'utf8');
    } catch {
      throw new SiftError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `nginx is not running: no pid file ${this.settings.pidFile}`,
      );
    }
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive({ pid, startTicks: null })) {
      throw new SiftError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `nginx is not running: the pid file ${this.settings.pidFile} names ${text.trim() || 'nothing'}`,
      );
    }
    return pid;
  }

  /** The master's children now: workers, and the cache manager/loader. */
  async workers(): Promise<number[]> {
    return childPids(await this.masterPid());
  }

  /**
   * Graceful reload, confirmed: a new worker generation runs, and every replaced worker has stopped accepting
   * connections (until then it still takes new ones and serves them with the old configuration). Returns the
   * replaced workers: they finish their in-flight requests, and close their connections to upstream servers,
   * before they exit.
   */
  async reload(): Promise<number[]> {
    const master = await this.masterPid();
    const before = new Set(childPids(master));
    if (this.settings.conf || this.settings.prefix) {
      const r = await this.nginx(['-s', 'reload']);
      if (!r.ok) throw new SiftError('DEPLOY_TARGET_UNAVAILABLE', `nginx -s reload failed: ${r.output}`);
    } else {
      process.kill(master, 'SIGHUP');
    }
    const deadline = Date.now() + this.settings.reloadTimeoutMs;
    let generation = false;
    while (Date.now() < deadline) {
      if (!isAlive({ pid: master, startTicks: null })) break;
      generation ||= childPids(master).some((pid) => !before.has(pid));
      if (generation && ![...before].some(holdsListeningSocket)) return [...before];
      await sleep(10);
    }
    throw new SiftError(
      'DEPLOY_TARGET_UNAVAILABLE',
      generation
        ? `nginx (master pid ${master}) reloaded, but its old workers still accepted connections ${this.settings.reloadTimeoutMs} ms later`
        : `nginx (master pid ${master}) did not start new workers within ${this.settings.reloadTimeoutMs} ms of the reload; its error log says why`,
    );
  }

  /** Waits until none of `pids` runs any more; false when `timeoutMs` passed first. */
  async waitGone(pids: readonly number[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const alive = pids.filter((pid) => isAlive({ pid, startTicks: null }));
      if (alive.length === 0) return true;
      if (Date.now() >= deadline || signal?.aborted) return false;
      await sleep(Math.min(100, Math.max(1, deadline - Date.now())));
    }
  }
}
