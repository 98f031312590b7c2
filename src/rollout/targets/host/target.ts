import { SiftError } from '../../../errors.js';
import {
  COLORS,
  type Color,
  type Instance,
  type ProbeResult,
  type ReadyResult,
  type SetImageOptions,
  type Target,
  type StateOptions,
  type TargetState,
  type TrackState,
  type WaitOptions,
} from '../../types.js';
import type { HostConfig } from '../../platform/host/config.js';
import { hostControl, type HostControl } from '../../platform/host/control.js';
import { instancesOf, type HostState, type InstanceRecord } from '../../platform/host/host-state.js';
import { httpGet } from '../../http-get.js';
import { checkRelease } from './launch.js';
import { isAlive } from '../../platform/host/processes.js';
import { Reconciler } from './reconciler.js';
import { HostReleaseStore } from './store.js';
import { livePorts } from '../../platform/host/upstream.js';
import { pause } from '../../pause.js';

export interface HostTargetOptions {
  /** Validate every write (release known, counts possible) and change nothing. */
  readonly dryRun?: boolean;
}

const reconcilers = new WeakMap<HostControl, Reconciler>();

const sameTrack = (a: TrackState | null, b: TrackState) =>
  a !== null &&
  a.image === b.image &&
  a.desired === b.desired &&
  a.ready === b.ready &&
  a.updated === b.updated &&
  a.total === b.total;

/**
 * Sift as processes on this host behind nginx (see config.ts for the file that describes it). There is no
 * controller running on the host, so this process is the controller: setImage and scale record what a colour
 * should run and start converging it in the background (reconciler.ts); waitReady follows that with a timeout
 * and the caller's signal; close() lets a convergence in progress finish, so the CLI never exits halfway through
 * a drain. Instances are detached processes that keep serving after the CLI exits.
 */
export class HostTarget implements Target {
  readonly kind = 'host' as const;
  readonly store: HostReleaseStore;
  private readonly control: HostControl;
  private readonly reconciler: Reconciler;
  private readonly dryRun: boolean;
  /** What a dry run's setImage would have set, so its scale is judged as the real one would be. */
  private readonly dryRunImages = new Map<Color, string>();

  constructor(
    readonly config: HostConfig,
    options: HostTargetOptions = {},
  ) {
    this.control = hostControl(config);
    let reconciler = reconcilers.get(this.control);
    if (!reconciler) {
      reconciler = new Reconciler(this.control);
      reconcilers.set(this.control, reconciler);
    }
    this.reconciler = reconciler;
    this.store = new HostReleaseStore(config.stateDir, config.lockTtlMs);
    this.dryRun = options.dryRun ?? false;
  }

  /** Instances per colour when nothing says otherwise (the host config's `instances`). */
  get defaultReplicas(): number {
    return this.config.instances;
  }

  private get where(): string {
    return `host behind ${this.config.router} ${this.config.frontDoor} (state ${this.config.stateDir})`;
  }

  async state(options: StateOptions = {}): Promise<TargetState> {
    const s = await this.control.read();
    const timeoutMs = Math.round(this.config.readiness.probeTimeoutMs * Math.max(1, options.patience ?? 1));
    const [blue, green] = await Promise.all(COLORS.map((c) => this.track(s, c, timeoutMs)));
    return { kind: this.kind, where: this.where, tracks: { blue: blue!, green: green! } };
  }

  private async probeReady(i: InstanceRecord): Promise<boolean> {
    return (await this.readinessProblem(i)) === null;
  }

  /** Null when the instance answers its readiness path 200, else why not (status, timeout, refusal). */
  private async readinessProblem(
    i: InstanceRecord,
    timeoutMs = this.config.readiness.probeTimeoutMs,
  ): Promise<string | null> {
    const r = await httpGet(this.url(i.port, this.config.readiness.path), timeoutMs);
    if (r.status === 200) return null;
    return r.status === null
      ? (r.error ?? 'no answer')
      : `${this.config.readiness.path} answered ${r.status}`;
  }

  private url(port: number, path: string): string {
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    return `http://${host}:${port}${path}`;
  }

  private async track(
    s: HostState,
    color: Color,
    probeTimeoutMs = this.config.readiness.probeTimeoutMs,
  ): Promise<TrackState> {
    const t = s.tracks[color];
    const current = instancesOf(s, color).filter((i) => i.image === t.image && i.phase !== 'draining');
    const alive = instancesOf(s, color).filter((i) => isAlive({ pid: i.pid, startTicks: i.startTicks }));
    const updated = alive.filter((i) => current.includes(i));
    const unready = await Promise.all(
      current.map(async (i) => {
        const why = !updated.includes(i)
          ? `process ${i.pid} is gone (its log: ${i.logFile})`
          : i.phase !== 'ready'
            ? i.phase
            : await this.readinessProblem(i, probeTimeoutMs);
        return why === null ? null : `${i.id} on :${i.port}: ${why}`;
      }),
    );
    const reasons = unready.filter((u): u is string => u !== null);
    return {
      color,
      image: t.image,
      desired: t.desired,
      ready: current.length - reasons.length,
      updated: updated.length,
      total: alive.length,
      revision: String(t.revision),
      ...(reasons.length > 0 ? { unready: reasons } : {}),
    };
  }

  /**
   * Records the release of `color` and starts converging it. The admission paths are saved with the track, so
   * every instance started for it later (by the agent too) passes them before it joins nginx; the check between
   * batches belongs to this process's update only. A call without them (an undo) clears both.
   */
  async setImage(color: Color, image: string, options: SetImageOptions = {}): Promise<void> {
    checkRelease(this.config, image);
    if (this.dryRun) {
      this.dryRunImages.set(color, image);
      return;
    }
    await this.reconciler.cancel(color);
    this.reconciler.checkBetweenBatches(color, options.betweenBatches ?? null);
    if (options.admissionHeaders) this.reconciler.probeHeaders = options.admissionHeaders;
    const { state } = await this.control.change((s) => {
      const t = s.tracks[color];
      if (t.image !== image) {
        t.previousImage = t.image;
        t.image = image;
        t.revision += 1;
      }
      t.stalled = null;
      t.admission = options.admission && options.admission.length > 0 ? [...options.admission] : null;
    });
    if (state.tracks[color].desired > 0 || instancesOf(state, color).length > 0) this.reconciler.start(color);
  }

  async scale(color: Color, replicas: number): Promise<void> {
    const ports = this.config.ports[color].length;
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > ports - 1) {
      throw new SiftError(
        'DEPLOY_INVALID',
        `replicas: ${replicas} instances of ${color} is not possible with ${ports} ports in ports.${color} (0..${ports - 1}; one port stays free for a rolling update)`,
      );
    }
    const current = await this.control.read();
    // A dry run records no image, so the image its setImage would have set counts here.
    const image = current.tracks[color].image ?? this.dryRunImages.get(color) ?? null;
    if (replicas > 0 && image === null) {
      throw new SiftError(
        'DEPLOY_INVALID',
        `${color} has no release yet: set one (--image) before scaling it`,
      );
    }
    if (this.dryRun) return;
    await this.reconciler.cancel(color);
    await this.control.change((s) => {
      s.tracks[color].desired = replicas;
      s.tracks[color].stalled = null;
    });
    this.reconciler.start(color);
  }

  async undo(color: Color): Promise<void> {
    const t = (await this.control.read()).tracks[color];
    if (t.previousImage === null) {
      throw new SiftError('DEPLOY_NO_RELEASE', `${color} has no previous release to go back to`);
    }
    await this.setImage(color, t.previousImage);
  }

  /** Why `color` is not converged yet, from the state and the live upstream; null when it is. */
  private async unconverged(s: HostState, color: Color, track: TrackState): Promise<string | null> {
    const mine = instancesOf(s, color);
    const t = s.tracks[color];
    if (mine.some((i) => i.phase !== 'ready')) return 'instances are starting or draining';
    if (track.updated !== t.desired || track.total !== t.desired) {
      return `${track.updated} of ${t.desired} instance(s) run ${t.image ?? 'nothing'}, ${track.total} exist`;
    }
    if (track.ready !== t.desired)
      return `${track.ready} of ${t.desired} answer ${this.config.readiness.path}`;
    if (s.weights[color] > 0 && t.desired > 0) {
      const live = livePorts((await this.control.liveUpstream()).parsed, color).sort();
      const expected = mine.map((i) => i.port).sort();
      if (live.join() !== expected.join()) {
        return `${this.config.router} sends ${color} traffic to ${live.join(', ') || 'nothing'}, expected ${expected.join(', ')}`;
      }
    }
    return null;
  }

  async waitReady(color: Color, options: WaitOptions): Promise<ReadyResult> {
    const deadline = Date.now() + options.timeoutMs;
    let last: TrackState | null = null;
    for (;;) {
      const s = await this.control.read();
      const track = await this.track(s, color);
      if (!sameTrack(last, track)) options.onProgress?.(track);
      last = track;
      const stalled = s.tracks[color].stalled;
      if (stalled && !this.reconciler.isRunning(color)) return { ok: false, track, reason: stalled };
      const why = await this.unconverged(s, color, track);
      if (why === null && !this.reconciler.isRunning(color)) return { ok: true, track };
      // Nothing converging (a previous CLI stopped midway, or an instance died): finish the job from here.
      if (why !== null && !this.reconciler.isRunning(color) && !this.dryRun) this.reconciler.start(color);
      const detail = this.reconciler.detail(color) ?? why ?? '';
      if (options.signal.aborted) {
        return { ok: false, track, reason: `interrupted while waiting for ${color}: ${detail}` };
      }
      if (Date.now() >= deadline) {
        return {
          ok: false,
          track,
          reason: `${color} was not ready within ${Math.round(options.timeoutMs / 1000)} s: ${track.ready}/${track.desired} ready; ${detail}`,
        };
      }
      await pause(Math.min(250, Math.max(1, deadline - Date.now())), options.signal);
    }
  }

  async instances(color: Color): Promise<Instance[]> {
    const s = await this.control.read();
    const alive = instancesOf(s, color).filter((i) => isAlive({ pid: i.pid, startTicks: i.startTicks }));
    const ready = await Promise.all(alive.map((i) => (i.phase === 'ready' ? this.probeReady(i) : false)));
    return alive
      .map((i, n) => ({
        id: i.id,
        color: i.color,
        image: i.image,
        address: `${this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host}:${i.port}`,
        ready: ready[n]!,
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async probe(
    instance: Instance,
    path: string,
    timeoutMs: number,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<ProbeResult> {
    const r = await httpGet(`http://${instance.address}${path}`, timeoutMs, headers);
    return {
      instance: instance.id,
      path,
      ok: r.status !== null && r.status >= 200 && r.status < 300,
      status: r.status,
      ms: r.ms,
      ...(r.error ? { error: r.error } : {}),
    };
  }

  /**
   * Stops converging both colours at their next safe point, leaving the instances as they are (for a caller that
   * must not wait for a slow rollout, such as a test's teardown). The next setImage/scale/waitReady resumes.
   */
  async stopConverging(): Promise<void> {
    await Promise.all(COLORS.map((c) => this.reconciler.cancel(c)));
  }

  /** Lets any convergence in progress finish (each step is bounded by the config's timeouts). */
  async close(): Promise<void> {
    await this.reconciler.settle();
  }
}
