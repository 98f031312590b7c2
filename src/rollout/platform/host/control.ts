import { setTimeout as sleep } from 'node:timers/promises';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../../../errors.js';
import type { HostConfig } from './config.js';
import { initialState, parseState, type HostState } from './host-state.js';
import { isStale, newLockContent, readLock, removeIfUnchanged, removeOwn, tryCreate } from './lock-file.js';
import type { HostFront } from './front.js';
import { HaproxyFront } from './haproxy-front.js';
import { NginxFront } from './nginx-front.js';
import { readJsonOrNull, writeJsonAtomic } from './state-file.js';
import type { ParsedUpstream } from './upstream.js';

export interface ChangeResult<T> {
  readonly value: T;
  readonly state: HostState;
  /** Workers replaced by the reload this change caused (none with HAProxy); null when the routing did not change. */
  readonly retired: number[] | null;
}

/**
 * The one writer of the host state and of the live routing (nginx's upstream include, or HAProxy's backend; see
 * front.ts). The target (instances in and out) and the router (colour weights) both change things through
 * `change()`, which runs one change at a time (in this process through a queue, across processes through a lock
 * file), has the front make the routing match the new state (nginx: atomic replace, `nginx -t`, graceful reload,
 * confirmed; HAProxy: runtime commands, read back) and only then saves the state. A change the router refuses
 * leaves the previous routing in place and the state unchanged.
 */
export class HostControl {
  readonly front: HostFront;
  readonly statePath: string;
  private readonly mutexPath: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly config: HostConfig) {
    this.front = openFront(config);
    this.statePath = join(config.stateDir, 'state.json');
    this.mutexPath = join(config.stateDir, 'state.lock');
  }

  liveUpstream(): Promise<{ text: string | null; parsed: ParsedUpstream }> {
    return this.front.live();
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
    const retired = await this.front.apply(state);
    if (retired) state.retiredWorkers = retired;
    await writeJsonAtomic(this.statePath, state);
    return { value, state, retired };
  }

  /** One changer at a time across processes: a lock file next to the state, stale when its holder died. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.config.stateDir, { recursive: true });
    const ttl = this.front.changeTimeoutMs + 60_000;
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

function openFront(config: HostConfig): HostFront {
  if (config.haproxy) return new HaproxyFront(config, config.haproxy);
  if (config.nginx) return new NginxFront(config, config.nginx);
  throw new SiftError('DEPLOY_INVALID', `host config ${config.source}: no router section`);
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
