import { COLORS, type Color } from '../../types.js';
import type { HostConfig } from '../../platform/host/config.js';
import { hostControl } from '../../platform/host/control.js';
import { instancesOf, type HostState } from '../../platform/host/host-state.js';
import { isAlive } from '../../platform/host/processes.js';
import { pause } from '../../pause.js';
import { Reconciler, wantsStandby } from './reconciler.js';

export interface AgentOptions {
  /** Time between two looks at the instances. */
  readonly intervalMs: number;
  /** Headers of the release's probes a replacement must pass (its credentials, `--probe-header`). */
  readonly probeHeaders?: Readonly<Record<string, string>>;
  /** Stops the agent (SIGTERM); a heal in progress stops at its next safe point. */
  readonly signal: AbortSignal;
  /** One line per thing the agent saw or did. */
  readonly log: (line: string) => void;
}

/**
 * Why `color` needs an instance started, or null: a recorded instance whose process is gone (killed, crashed), or
 * fewer running instances of the colour's release than it asks for. A colour in the middle of a rollout (starting
 * instances, instances of another release) or stalled is left to the release that owns it.
 */
export function healingNeeded(state: HostState, color: Color): string | null {
  const track = state.tracks[color];
  if (track.stalled || !track.image) return null;
  const mine = instancesOf(state, color);
  const dead = mine.filter((i) => !isAlive({ pid: i.pid, startTicks: i.startTicks }));
  if (dead.length > 0) return `${dead.map((i) => `${i.id} (pid ${i.pid})`).join(', ')} stopped running`;
  if (mine.some((i) => i.phase !== 'ready' || i.image !== track.image)) return null;
  if (mine.length < track.desired) return `${mine.length} of ${track.desired} instances run`;
  return null;
}

/**
 * `sift deploy agent`: the supervisor of a host's instances. Sift instances are detached processes; nothing
 * restarts one that dies. The agent looks every `intervalMs` and, when a colour lost an instance, takes the dead
 * one out of nginx and starts a replacement of the same release on the colour's ports, which must pass readiness
 * and the release's probes before it joins nginx, exactly as in a release. It takes each colour's converge lock,
 * so it never works on a colour a release is converging. Resolves when the signal aborts.
 */
export async function runAgent(config: HostConfig, options: AgentOptions): Promise<void> {
  const control = hostControl(config);
  const reconciler = new Reconciler(control);
  reconciler.probeHeaders = options.probeHeaders ?? {};
  reconciler.onNote = (color, message) => {
    // Each failed readiness poll of a starting instance is a note; the outcome is logged, not every poll.
    if (!message.startsWith('waiting for')) options.log(`${color}: ${message}`);
  };
  const reported = new Map<Color, string>();
  options.log(`watching ${config.stateDir} every ${options.intervalMs} ms`);
  while (!options.signal.aborted) {
    const state = await control.read().catch((err: Error) => {
      options.log(`cannot read the host state: ${err.message}`);
      return null;
    });
    for (const color of state ? COLORS : []) {
      const stalled = state!.tracks[color].stalled;
      if (stalled && reported.get(color) !== stalled)
        options.log(`${color} is stalled, left to a release: ${stalled}`);
      reported.set(color, stalled ?? '');
      const why =
        healingNeeded(state!, color) ??
        (wantsStandby(config.standby, state!, color) && !reconciler.standbyBackoff(color)
          ? 'no standby'
          : null);
      if (!why) continue;
      const started = Date.now();
      options.log(`${color}: ${why}; ${why === 'no standby' ? 'starting one' : 'replacing'}`);
      const healed = await reconciler.heal(color, options.signal);
      if (!healed) {
        options.log(`${color}: another process converges it now; looking again later`);
        continue;
      }
      const after = await control.read();
      const left = after.tracks[color].stalled;
      options.log(
        left
          ? `${color}: could not replace it (${left}); the colour is stalled until the next release`
          : `${color}: ${reconciler.detail(color) ?? 'done'} (${Date.now() - started} ms)`,
      );
    }
    await pause(options.intervalMs, options.signal);
  }
  await reconciler.settle();
}
