import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../../../errors.js';
import type { HostConfig } from './config.js';
import { initialState, parseState, type HostState } from './host-state.js';
import { isStale, newLockContent, readLock, removeIfUnchanged, removeOwn, tryCreate } from './lock-file.js';
import { NginxControl } from './nginx-control.js';
import { readJsonOrNull, readTextOrNull, writeFileAtomic, writeJsonAtomic } from './state-file.js';
import { foreignServers, parseUpstream, renderUpstream, type ParsedUpstream } from './upstream.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ChangeResult<T> {
  readonly value: T;
  readonly state: HostState;
  /** Workers replaced by the reload this change caused; null when the upstream did not change. */
  readonly retired: number[] | null;
}

/**
 * The one writer of the host state and of the nginx upstream include. The target (instances in and out) and the
 * router (colour weights) both change things through `change()`, which runs one change at a time (in this process
 * through a queue, across processes through a lock file), renders the include from the new state, applies it
 * (atomic replace, `nginx -t`, graceful reload, confirmed) and only then saves the state. A change nginx refuses
 * leaves the previous include in place and the state unchanged.
 */
export class HostControl {
  readonly nginx: NginxControl;
  readonly statePath: string;
  private readonly mutexPath: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly config: HostConfig) {
    this.nginx = new NginxControl(config.nginx);
    this.statePath = join(config.stateDir, 'state.json');
    this.mutexPath = join(config.stateDir, 'state.lock');
  }

  async liveUpstream(): Promise<{ text: string | null; parsed: ParsedUpstream }> {
    const text = await readTextOrNull(this.config.nginx.upstreamFile);
    return { text, parsed: parseUpstream(text ?? '', this.config) };
  }

  async read(): Promise<HostState> {
    const raw = await readJsonOrNull(this.statePath).catch((err: Error) => {
      throw new SiftError('DEPLOY_TARGET_UNAVAILABLE', `cannot read ${this.statePath}: ${err.message}`);
    });
    if (raw !== null) return parseState(raw, this.statePath);
    return initialState((await this.liveUpstream()).parsed.active ?? 'blue');
  }

  /** Runs `fn` on a copy of the state, then applies and saves the result (see the class comment). */
  change<T>(fn: (state: HostState) => T | Promise<T>): Promise<ChangeResult<T>> {
    const next = this.queue.then(() => this.exclusive(() => this.applyChange(fn)));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async applyChange<T>(fn: (state: HostState) => T | Promise<T>): Promise<ChangeResult<T>> {
    const state = structuredClone(await this.read());
    const value = await fn(state);
    const retired = await this.applyUpstream(state);
    if (retired) state.retiredWorkers = retired;
    await writeJsonAtomic(this.statePath, state);
    return { value, state, retired };
  }

  /** Writes the include when it differs from the live one; returns the replaced workers, or null. */
  private async applyUpstream(state: HostState): Promise<number[] | null> {
    const file = this.config.nginx.upstreamFile;
    const rendered = renderUpstream(state, this.config);
    const live = await this.liveUpstream();
    if (live.text === rendered) return null;
    const renderedServers = parseUpstream(rendered, this.config).servers.filter((s) => !s.down);
    // Adopting an nginx that serves someone else's servers: never swap them for nothing.
    if (renderedServers.length === 0 && foreignServers(live.parsed).length > 0) return null;
    const mode = live.text === null ? undefined : (await stat(file)).mode & 0o777;
    const restore = async () => {
      if (live.text !== null) await writeFileAtomic(file, live.text, mode);
    };
    await writeFileAtomic(file, rendered, mode);
    const test = await this.nginx.test();
    if (!test.ok) {
      await restore();
      throw new SiftError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `nginx -t refused the new upstream ${file}; the previous one is back in place: ${test.output}`,
        { file },
      );
    }
    try {
      return await this.nginx.reload();
    } catch (err) {
      await restore();
      throw err;
    }
  }

  /** One changer at a time across processes: a lock file next to the state, stale when its holder died. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.config.stateDir, { recursive: true });
    const ttl = this.config.nginx.reloadTimeoutMs + 60_000;
    const content = newLockContent(`sift deploy (pid ${process.pid})`, ttl);
    const deadline = Date.now() + ttl;
    while (!(await tryCreate(this.mutexPath, content))) {
      const holder = await readLock(this.mutexPath);
      if (holder && isStale(holder)) {
        await removeIfUnchanged(this.mutexPath, holder);
        continue;
      }
      if (Date.now() > deadline) {
        throw new SiftError(
          'DEPLOY_LOCKED',
          `the host state ${this.statePath} is being changed by ${holder?.owner ?? 'another process'}`,
        );
      }
      await sleep(50);
    }
    try {
      return await fn();
    } finally {
      await removeOwn(this.mutexPath, content.token);
    }
  }
}

const controls = new Map<string, HostControl>();

/** The control of a state directory, shared by every target and router of this process that uses it. */
export function hostControl(config: HostConfig): HostControl {
  let control = controls.get(config.stateDir);
  if (!control) {
    control = new HostControl(config);
    controls.set(config.stateDir, control);
  }
  return control;
}
