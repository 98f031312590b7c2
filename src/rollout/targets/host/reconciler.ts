import { isSiftError } from '../../../errors.js';
import type { Color } from '../../types.js';
import type { HostControl } from '../../platform/host/control.js';
import {
  instancesOf,
  standbysOf,
  type HostState,
  type InstanceRecord,
} from '../../platform/host/host-state.js';
import { convergeLock, tryConvergeLock } from '../../platform/host/converge-lock.js';
import { admissionRefusal } from './admission.js';
import { checkRelease, freePort, instanceId, spawnSpec, waitInstanceReady } from './launch.js';
import { isAlive, spawnDetached, stopProcess } from '../../platform/host/processes.js';

const OWNER = `sift deploy (pid ${process.pid})`;
const STANDBY_RETRY_MS = 60_000;

/**
 * Whether the agent should start a standby for `color`: the host config asks for one, the colour takes traffic,
 * runs all its instances of its release, has none and a port is left for it.
 */
export function wantsStandby(enabled: boolean, state: HostState, color: Color): boolean {
  const track = state.tracks[color];
  const mine = instancesOf(state, color);
  return (
    enabled &&
    track.image !== null &&
    !track.stalled &&
    state.weights[color] > 0 &&
    standbysOf(state, color).length === 0 &&
    mine.length === track.desired &&
    mine.every((i) => i.phase === 'ready' && i.image === track.image)
  );
}

const identity = (i: InstanceRecord) => ({ pid: i.pid, startTicks: i.startTicks });

/**
 * Moves one colour's processes towards what its track asks for (release and instance count), the way a
 * Deployment controller would with maxSurge 1 and maxUnavailable 0:
 *   - a new instance starts on a free port of the colour, must answer readiness and the release's probes (the
 *     track's admission paths), and only then enters nginx;
 *   - for each one that entered, one old instance leaves nginx (reload), nginx's replaced workers finish with it
 *     (bounded by drainSeconds), and only then it gets SIGTERM (Sift drains in-flight requests and exits);
 *   - between two batches the release's own check may stop the update (checkBetweenBatches);
 *   - an instance that never gets ready (or fails the probes) is stopped (it never had traffic) and the colour is marked stalled with
 *     the reason, leaving the old instances serving; the next setImage/scale/undo clears that.
 * Every step is saved in the state file, so a run interrupted anywhere is finished by the next one.
 */
export class Reconciler {
  private readonly running = new Map<Color, { controller: AbortController; done: Promise<void> }>();
  /** The latest thing each colour waits for, for progress and timeout messages. */
  private readonly details = new Map<Color, string>();
  /**
   * Headers of the admission probes (the release's credentials), given to this process by the release or the
   * agent's flags: never saved in the state, where the probe paths are.
   */
  probeHeaders: Readonly<Record<string, string>> = {};
  /** The release's analysis between the batches of an in-place update, per colour (see SetImageOptions). */
  private readonly batchChecks = new Map<Color, () => Promise<string | null>>();

  constructor(private readonly control: HostControl) {}

  get config() {
    return this.control.config;
  }

  isRunning(color: Color): boolean {
    return this.running.has(color);
  }

  detail(color: Color): string | undefined {
    return this.details.get(color);
  }

  /** When a standby of each colour last failed to start: the agent waits before the next try. */
  private readonly standbyFailed = new Map<Color, number>();

  /** A standby of `color` failed to start less than a minute ago. */
  standbyBackoff(color: Color): boolean {
    return Date.now() - (this.standbyFailed.get(color) ?? 0) < STANDBY_RETRY_MS;
  }

  /** Sets (or with null clears) the check run between two batches of `color`'s update. */
  checkBetweenBatches(color: Color, check: (() => Promise<string | null>) | null): void {
    if (check) this.batchChecks.set(color, check);
    else this.batchChecks.delete(color);
  }

  /** Starts converging `color` in the background unless that already runs. */
  start(color: Color): void {
    if (this.running.has(color)) return;
    const controller = new AbortController();
    const done = (async () => {
      const lock = await convergeLock(this.config.stateDir, color, OWNER, controller.signal);
      if (!lock) return;
      try {
        await this.converge(color, controller.signal, 'all');
      } finally {
        await lock.release();
      }
    })().finally(() => this.running.delete(color));
    this.running.set(color, { controller, done });
  }

  /**
   * Replaces dead instances of `color` with new ones of the release it runs (the agent's job), and does nothing
   * else: a rollout in progress, a colour too large and a stalled colour are a release's business. Returns false
   * when another process converges the colour now.
   */
  async heal(color: Color, signal: AbortSignal): Promise<boolean> {
    const lock = await tryConvergeLock(this.config.stateDir, color, OWNER);
    if (!lock) return false;
    try {
      await this.converge(color, signal, 'heal');
      return true;
    } finally {
      await lock.release();
    }
  }

  /** Runs the loop; an error stalls the colour with its message (status shows it, the next release clears it). */
  private async converge(color: Color, signal: AbortSignal, mode: 'all' | 'heal'): Promise<void> {
    try {
      await this.run(color, signal, mode);
    } catch (err) {
      const reason = isSiftError(err) || err instanceof Error ? err.message : String(err);
      this.details.set(color, reason);
      await this.control
        .change((s) => {
          s.tracks[color].stalled = reason;
        })
        .catch(() => undefined);
    }
  }

  /** Stops a run at its next safe point (an unready new instance is stopped; a drain in progress completes). */
  async cancel(color: Color): Promise<void> {
    const run = this.running.get(color);
    if (!run) return;
    run.controller.abort();
    await run.done;
  }

  /** Resolves when `color` has no run in progress. */
  async idle(color: Color): Promise<void> {
    await this.running.get(color)?.done;
  }

  async settle(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Hears every step (the agent logs them). */
  onNote: ((color: Color, message: string) => void) | null = null;

  private note(color: Color, message: string): void {
    this.details.set(color, message);
    this.onNote?.(color, message);
  }

  private async run(color: Color, signal: AbortSignal, mode: 'all' | 'heal'): Promise<void> {
    // Re-renders the include if it drifted from the state (a change interrupted between reload and save).
    await this.control.change(() => undefined);
    while (!signal.aborted) {
      const state = await this.control.read();
      const mine = instancesOf(state, color);
      const dead = mine.filter((i) => !isAlive(identity(i)));
      const track0 = state.tracks[color];
      const settled = mine.every((i) => i.phase === 'ready' && i.image === track0.image);
      // A standby never served: it goes without a drain when it died, when a release needs its port (every run
      // but a heal), or when it no longer matches what the colour runs.
      const standbys = standbysOf(state, color);
      const unwanted = standbys.filter(
        (i) =>
          mode === 'all' ||
          // Seen at the top of a run, an unadmitted standby is one whose start was cut off (each run awaits its own).
          !i.admitted ||
          !isAlive(identity(i)) ||
          i.image !== track0.image ||
          state.weights[color] === 0 ||
          !this.config.standby,
      );
      if (unwanted.length > 0) {
        this.note(color, `stopping standby ${unwanted.map((i) => i.id).join(', ')}`);
        await this.stopUnserved(unwanted);
        continue;
      }
      if (mode === 'heal' && dead.length > 0 && standbys.length > 0 && !track0.stalled) {
        const [gone, standby] = [dead[0]!, standbys[0]!];
        this.note(color, `${gone.id} stopped running; standby ${standby.id} took its place`);
        await this.control.change((s) => {
          s.instances = s.instances.filter((x) => x.id !== gone.id);
          const promoted = s.instances.find((x) => x.id === standby.id);
          if (promoted) promoted.phase = 'ready';
        });
        continue;
      }
      const spare =
        mode === 'heal' && dead.length > 0 && settled && track0.image !== null && !track0.stalled
          ? await freePort(this.config, state, color)
          : null;
      if (spare !== null && track0.image !== null) {
        // The dead one stays in nginx until its replacement is ready, and both change in one reload: nginx
        // answers from the other instances meanwhile (a refused connection is retried on the next server, and
        // max_fails sets the dead one aside), and every reload is one more moment for idle connections to race.
        this.note(color, `${dead[0]!.id} stopped running; starting its replacement`);
        await this.bringUp(color, track0.image, undefined, state, signal, dead[0]!.id);
        // Replaced: look again. Not replaced (the colour stalled): the dead one leaves nginx below.
        if (!(await this.control.read()).tracks[color].stalled) continue;
      }
      if (dead.length > 0) {
        this.note(color, `${dead.map((i) => i.id).join(', ')} stopped running; removed`);
        await this.remove(dead);
        continue;
      }
      const draining = mine.filter((i) => i.phase === 'draining');
      if (draining.length > 0) {
        await this.finishDrain(color, draining, state.retiredWorkers);
        continue;
      }
      const track = state.tracks[color];
      if (track.stalled) return;
      const ready = mine.filter((i) => i.phase === 'ready');
      const current = ready.filter((i) => i.image === track.image);
      const old = ready.filter((i) => i.image !== track.image);
      const starting = mine.filter((i) => i.phase === 'starting');
      const pending = starting.find((i) => i.image === track.image);
      if (mode === 'heal') {
        if (!track.image || starting.length > 0 || old.length > 0) return;
        if (current.length < track.desired) {
          this.note(
            color,
            `${color}: ${current.length} of ${track.desired} instance(s) run; starting one more`,
          );
          await this.bringUp(color, track.image, undefined, state, signal);
          continue;
        }
        if (wantsStandby(this.config.standby, state, color) && !this.standbyBackoff(color)) {
          this.note(color, `starting a standby for ${color}`);
          await this.bringUp(color, track.image, undefined, state, signal, undefined, 'standby');
          continue;
        }
        return;
      }
      const surplusStarting = starting.filter((i) => i !== pending || current.length >= track.desired);
      if (surplusStarting.length > 0) {
        await this.stopUnserved(surplusStarting);
        continue;
      }
      if (track.desired === 0 && ready.length > 0) {
        await this.drain(color, ready, `scaling ${color} to 0`);
      } else if (old.length > 0 && ready.length > track.desired) {
        await this.drain(color, [old[0]!], `replacing ${old[0]!.id} (release ${old[0]!.image})`);
      } else if (current.length < track.desired) {
        await this.bringUp(color, track.image!, pending, state, signal);
      } else if (old.length > 0) {
        await this.drain(color, old, `replacing ${old.map((i) => i.id).join(', ')}`);
      } else if (current.length > track.desired) {
        const extra = [...current].sort((a, b) => b.port - a.port).slice(0, current.length - track.desired);
        await this.drain(color, extra, `scaling ${color} to ${track.desired}`);
      } else {
        this.note(color, `${color}: ${current.length} instance(s) of ${track.image ?? 'nothing'} ready`);
        return;
      }
    }
  }

  /** Starts (or, after an interruption, adopts) one instance of `image` and lets it into nginx once ready. */
  private async bringUp(
    color: Color,
    image: string,
    pending: InstanceRecord | undefined,
    state: HostState,
    signal: AbortSignal,
    /** A dead instance this one replaces: it leaves nginx in the reload that lets this one in. */
    replacing?: string,
    /** `standby`: once ready and probed it stays out of nginx (see host config `standby`). */
    role: 'serve' | 'standby' = 'serve',
  ): Promise<void> {
    let record = pending;
    if (!record) {
      checkRelease(this.config, image);
      const port = await freePort(this.config, state, color);
      if (port === null && role === 'standby') {
        this.standbyFailed.set(color, Date.now());
        return;
      }
      if (port === null) {
        await this.stall(
          color,
          `no free port for a new ${color} instance: every port of ports.${color} (${this.config.ports[color].join(', ')}) is in use`,
        );
        return;
      }
      const spec = spawnSpec(this.config, color, port, image);
      const proc = await spawnDetached(spec);
      const started: InstanceRecord = {
        id: instanceId(color, port),
        color,
        port,
        image,
        pid: proc.pid,
        startTicks: proc.startTicks,
        // A standby is one from the start, so it never counts as one of the colour's instances.
        phase: role === 'standby' ? 'standby' : 'starting',
        logFile: spec.logFile,
        startedAt: new Date().toISOString(),
      };
      record = started;
      await this.control.change((s) => {
        s.instances.push(started);
      });
    }
    const target = record;
    this.note(color, `starting ${target.id} (release ${image})`);
    const ready = await waitInstanceReady(
      this.config,
      target.id,
      target.port,
      identity(target),
      target.logFile,
      signal,
      (detail) => this.note(color, `waiting for ${detail}`),
    );
    const admission = state.tracks[color].admission;
    const refusal = !ready.ok
      ? ready.reason
      : admission
        ? await admissionRefusal(this.config, target.id, target.port, admission, signal, this.probeHeaders)
        : null;
    if (refusal !== null) {
      await this.stopUnserved([target]);
      // A standby that fails stalls nothing (the colour serves); the next try waits a minute.
      if (role === 'standby') this.standbyFailed.set(color, Date.now());
      else if (!signal.aborted) await this.stall(color, refusal);
      return;
    }
    if (role === 'standby') {
      await this.control.change((s) => {
        const i = s.instances.find((x) => x.id === target.id);
        if (i) i.admitted = true;
      });
      this.note(color, `${target.id} is ready as ${color}'s standby`);
      return;
    }
    this.note(color, `${target.id} is ready; adding it to ${this.config.router}`);
    // The new instance enters and, in a rolling update, an old one leaves in the same reload: capacity never
    // drops below the desired count, and every reload is one more moment for clients' idle connections to race.
    let replaced: string | null = null;
    const { state: after } = await this.control.change((s) => {
      if (replacing) s.instances = s.instances.filter((x) => x.id !== replacing);
      const i = s.instances.find((x) => x.id === target.id);
      if (i) i.phase = 'ready';
      const t = s.tracks[color];
      const ready = s.instances.filter((x) => x.color === color && x.phase === 'ready');
      const old = ready.find((x) => x.image !== t.image);
      if (old && ready.length > t.desired) {
        old.phase = 'draining';
        old.drainingSince = new Date().toISOString();
        replaced = old.id;
      }
    });
    const leaving = after.instances.filter((i) => i.id === replaced);
    if (leaving.length === 0) return;
    await this.finishDrain(color, leaving, after.retiredWorkers);
    await this.betweenBatches(color);
  }

  /**
   * After a batch replaced an old instance, while old ones remain: the release's analysis of the colour with the
   * new instance serving its share. A failure stalls the update here, so a broken version serves no more than one
   * batch's share for one analysis.
   */
  private async betweenBatches(color: Color): Promise<void> {
    const check = this.batchChecks.get(color);
    if (!check) return;
    const s = await this.control.read();
    const image = s.tracks[color].image;
    if (!instancesOf(s, color).some((i) => i.phase === 'ready' && i.image !== image)) return;
    this.note(color, `analysing ${color} between batches`);
    const reason = await check();
    if (reason === null) return;
    await this.stall(color, `stopped between batches: ${reason}`);
    // The new release failed with users on it: it leaves nginx now rather than when the undo has replaced it, so
    // the colour serves from its old instances (one batch fewer) for the few seconds until the undo's are ready.
    const failed = instancesOf(await this.control.read(), color).filter(
      (i) => i.phase === 'ready' && i.image === image,
    );
    if (failed.length > 0) await this.drain(color, failed, 'it failed the analysis between batches');
  }

  /** Takes instances out of nginx (one reload), lets nginx's old workers finish with them, then stops them. */
  private async drain(color: Color, records: InstanceRecord[], why: string): Promise<void> {
    const ids = new Set(records.map((r) => r.id));
    this.note(color, `${why}: taking ${[...ids].join(', ')} out of ${this.config.router}`);
    const { state } = await this.control.change((s) => {
      const now = new Date().toISOString();
      for (const i of s.instances) {
        if (ids.has(i.id)) {
          i.phase = 'draining';
          i.drainingSince = now;
        }
      }
    });
    await this.finishDrain(
      color,
      state.instances.filter((i) => ids.has(i.id)),
      state.retiredWorkers,
    );
  }

  /**
   * Waits (at most drainSeconds after the instances left the router) until nothing the router holds still uses
   * them (nginx: every worker that may hold a connection to them has exited; HAProxy: their servers have no
   * session left), then stops them. Not interruptible: stopping early would cut requests off.
   */
  private async finishDrain(color: Color, records: InstanceRecord[], retired: number[]): Promise<void> {
    const since = Math.min(...records.map((r) => Date.parse(r.drainingSince ?? new Date().toISOString())));
    const remaining = Math.max(0, since + this.config.drainMs - Date.now());
    this.note(color, `draining ${records.map((r) => r.id).join(', ')}`);
    const drained = await this.control.front.waitDrained(
      retired,
      records.map((r) => r.port),
      remaining,
    );
    if (!drained) {
      // The operator's bound wins over the requests still on their way: said, so a 502 in the router's log has
      // its explanation (a larger drainSeconds, or a router that finishes faster).
      this.note(
        color,
        `${this.config.router} still used ${records.map((r) => r.id).join(', ')} when drainSeconds (${this.config.drainMs / 1000} s) ran out; stopping it anyway`,
      );
    }
    await Promise.all(records.map((r) => stopProcess(identity(r), this.config.stopTimeoutMs)));
    await this.remove(records);
  }

  /** Stops instances that never entered nginx: no drain needed. */
  private async stopUnserved(records: InstanceRecord[]): Promise<void> {
    await Promise.all(records.map((r) => stopProcess(identity(r), this.config.stopTimeoutMs)));
    await this.remove(records);
  }

  private async remove(records: InstanceRecord[]): Promise<void> {
    const ids = new Set(records.map((r) => r.id));
    await this.control.change((s) => {
      s.instances = s.instances.filter((i) => !ids.has(i.id));
    });
  }

  private async stall(color: Color, reason: string): Promise<void> {
    this.note(color, reason);
    await this.control.change((s) => {
      s.tracks[color].stalled = reason;
    });
  }
}
