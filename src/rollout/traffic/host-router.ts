import { SiftError } from '../../errors.js';
import type { HostConfig } from '../platform/host/config.js';
import { hostControl, type HostControl } from '../platform/host/control.js';
import { instancesOf } from '../platform/host/host-state.js';
import { isAlive } from '../platform/host/processes.js';
import { splitOf } from '../platform/host/upstream.js';
import {
  COLORS,
  otherColor,
  type Color,
  type RouterCheck,
  type TrafficRouter,
  type TrafficSplit,
} from '../types.js';
import { checkPercent } from './split.js';

export interface HostRouterOptions {
  /** Check the request (weights valid, instances to route to) and change nothing. */
  readonly dryRun?: boolean;
}

/**
 * Traffic between the host target's colours, whichever router the host config names: a switch or a weight is
 * saved in the host state and applied by the same code that lets instances in and out (platform/host/control.ts),
 * under the same one-change-at-a-time rule. current() and verify() read the live routing back (nginx's include,
 * HAProxy's runtime state), not what this process remembers. NginxRouter and HaproxyRouter differ only in which
 * router the host config must name.
 */
export abstract class HostRouter implements TrafficRouter {
  abstract readonly kind: 'nginx' | 'haproxy';
  readonly supportsWeights = true;
  private readonly control: HostControl;
  private readonly dryRun: boolean;

  constructor(
    readonly config: HostConfig,
    options: HostRouterOptions = {},
  ) {
    this.control = hostControl(config);
    this.dryRun = options.dryRun ?? false;
  }

  /** Refuses a host config that names another router: this one would drive that router under a wrong name. */
  protected expectRouter(kind: 'nginx' | 'haproxy'): void {
    if (this.config.router !== kind) {
      throw new SiftError(
        'DEPLOY_INVALID',
        `host config ${this.config.source} routes through ${this.config.router}, not ${kind}`,
      );
    }
  }

  async current(): Promise<TrafficSplit> {
    const live = await this.control.liveUpstream();
    const split = splitOf(live.parsed);
    if (!split) {
      throw new SiftError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `${this.control.front.where} ${live.text === null ? 'does not exist' : 'names no blue or green server and has no "# active:" line'}`,
      );
    }
    return split;
  }

  async switchTo(color: Color): Promise<void> {
    await this.apply({ [color]: 100, [otherColor(color)]: 0 } as Record<Color, number>);
  }

  async setWeight(color: Color, percent: number): Promise<void> {
    checkPercent(percent);
    await this.apply({ [color]: percent, [otherColor(color)]: 100 - percent } as Record<Color, number>);
  }

  private async apply(weights: Record<Color, number>): Promise<void> {
    const check = (s: Awaited<ReturnType<HostControl['read']>>) => {
      for (const c of COLORS) {
        // A colour keeping (or losing) share changes nothing for it: traffic "back" to a colour that already has
        // it all is a no-op even when it runs nothing, as on a first release that failed before its switch.
        if (weights[c] === 0 || weights[c] <= s.weights[c]) continue;
        const ready = instancesOf(s, c).filter(
          (i) => i.phase === 'ready' && isAlive({ pid: i.pid, startTicks: i.startTicks }),
        );
        if (ready.length === 0) {
          throw new SiftError(
            'DEPLOY_INVALID',
            `cannot send ${weights[c]}% of traffic to ${c}: it has no ready instance`,
            { color: c },
          );
        }
      }
    };
    if (this.dryRun) {
      // A dry run starts no instance, so the colour it would send traffic to is never ready here: the real run
      // switches only after that colour passed its readiness wait and checks. Only the state must be readable.
      await this.control.read();
      return;
    }
    await this.control.change((s) => {
      check(s);
      s.weights = weights;
      // The `# active:` line names the colour with the larger share; an even split keeps the previous one.
      if (weights.blue !== weights.green) s.active = weights.blue > weights.green ? 'blue' : 'green';
    });
  }

  async verify(expected: TrafficSplit): Promise<RouterCheck> {
    let actual: TrafficSplit;
    try {
      actual = await this.current();
    } catch (err) {
      return { ok: false, actual: null, detail: (err as Error).message };
    }
    if (actual.blue !== expected.blue || actual.green !== expected.green) {
      return {
        ok: false,
        actual,
        detail: `${this.control.front.where} gives blue ${actual.blue}%, green ${actual.green}%; expected blue ${expected.blue}%, green ${expected.green}%`,
      };
    }
    try {
      await this.control.front.checkRunning();
    } catch (err) {
      return { ok: false, actual, detail: (err as Error).message };
    }
    return { ok: true, actual };
  }
}
