import { stat } from 'node:fs/promises';
import { SiftError } from '../../../errors.js';
import type { HostConfig, NginxSettings } from './config.js';
import type { HostFront } from './front.js';
import type { HostState } from './host-state.js';
import { NginxControl } from './nginx-control.js';
import { readTextOrNull, writeFileAtomic } from './state-file.js';
import {
  foreignServers,
  parseUpstream,
  renderUpstream,
  upstreamDirectives,
  type ParsedUpstream,
} from './upstream.js';

/**
 * nginx as the host's router: the upstream include rendered from the state replaces the live one atomically, is
 * checked with `nginx -t` (the previous include is restored when it fails) and applied by a graceful reload,
 * confirmed. The include on disk is what is read back. A change of its comments only (the weights of a colour that
 * has no server in it, for one) is written without a reload: a reload closes clients' idle connections, so nginx
 * is reloaded for a change of routing and for nothing else.
 */
export class NginxFront implements HostFront {
  readonly kind = 'nginx';
  readonly nginx: NginxControl;

  constructor(
    private readonly config: HostConfig,
    private readonly settings: NginxSettings,
  ) {
    this.nginx = new NginxControl(settings);
  }

  get where(): string {
    return this.settings.upstreamFile;
  }

  get changeTimeoutMs(): number {
    return this.settings.reloadTimeoutMs;
  }

  async live(): Promise<{ text: string | null; parsed: ParsedUpstream }> {
    const text = await readTextOrNull(this.settings.upstreamFile);
    return { text, parsed: parseUpstream(text ?? '', this.config) };
  }

  async apply(state: HostState): Promise<number[] | null> {
    const file = this.settings.upstreamFile;
    const rendered = renderUpstream(state, this.config);
    const live = await this.live();
    if (live.text === rendered) return null;
    const renderedServers = parseUpstream(rendered, this.config).servers.filter((s) => !s.down);
    // Adopting an nginx that serves someone else's servers: never swap them for nothing.
    if (renderedServers.length === 0 && foreignServers(live.parsed).length > 0) return null;
    const mode = live.text === null ? undefined : (await stat(file)).mode & 0o777;
    if (live.text !== null && sameDirectives(live.text, rendered)) {
      // nginx routes by the directives alone: the file is brought up to date for the read-back, nginx is not.
      await writeFileAtomic(file, rendered, mode);
      return null;
    }
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

  waitDrained(
    retired: readonly number[],
    _ports: readonly number[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    // The retired workers hold the only connections to the instances that left: once they are gone, so are those.
    return this.nginx.waitGone(retired, timeoutMs, signal);
  }

  async checkRunning(): Promise<void> {
    await this.nginx.masterPid();
  }
}

function sameDirectives(a: string, b: string): boolean {
  const [x, y] = [upstreamDirectives(a), upstreamDirectives(b)];
  return x.length === y.length && x.every((line, i) => line === y[i]);
}
