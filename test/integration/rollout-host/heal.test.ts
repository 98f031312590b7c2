import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { hostControl } from '../../../src/rollout/platform/host/control.js';
import { livePorts } from '../../../src/rollout/platform/host/upstream.js';
import type { DeployStatus } from '../../../src/rollout/status.js';
import type { Color } from '../../../src/rollout/types.js';
import { ROOT } from '../../support/cli.js';
import { deployCli } from '../../support/deploy-cli.js';
import { formatLoad, startLoad } from '../../support/load.js';
import { waitFor } from '../../support/net.js';
import {
  instanceLogs,
  RELEASES,
  startHostFixture,
  type HostFixture,
} from '../../support/rollout-host/host-fixture.js';
import { nodeArgs } from '../../support/compiled.js';

/**
 * The host heals: `kill -9` of an instance leaves its colour degraded (status warns, a release refuses to start
 * from it unless --force) until `sift deploy agent` (a real CLI process) replaces it; under load, with the other
 * instance ready, no request fails (nginx retries a GET on the next server, HAProxy redispatches a refused
 * connection). Prints the time to heal and the load. Behind nginx, then behind HAProxy.
 */
for (const router of ['nginx', 'haproxy'] as const) {
  describe(`a host behind ${router} that heals after kill -9`, { timeout: 600_000 }, () => {
    let fx: HostFixture;
    let agent: ChildProcess | null = null;
    let agentLog = '';
    const cli = (args: string[]) =>
      deployCli([...args, '--host-config', fx.configPath, '--json', '--scale-down-delay', '1s'], {
        timeoutMs: 300_000,
      });

    beforeAll(async () => {
      fx = await startHostFixture({ router, instances: 2, drainSeconds: 2 });
      const first = await cli(['blue-green', '--image', RELEASES.v1]);
      if (first.code !== 0) throw new Error(`first release failed: ${first.stdout}\n${first.stderr}`);
    }, 400_000);

    afterAll(async () => {
      await stopAgent();
      await fx?.close();
    }, 120_000);

    /** Starts `sift deploy agent` as a real CLI process on `configPath`, collecting its output. */
    function startAgent(configPath: string): ChildProcess {
      const child = spawn(
        process.execPath,
        nodeArgs('bin/sift.ts', 'deploy', 'agent', '--host-config', configPath, '--interval', '250ms'),
        // A session of its own, as a service runs (see runNginx in test/support/nginx.ts).
        {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        },
      );
      child.stdout!.on('data', (c: Buffer) => (agentLog += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (agentLog += c.toString()));
      return child;
    }

    async function stopAgent(): Promise<void> {
      if (agent && agent.exitCode === null) {
        const exited = new Promise((r) => agent!.once('exit', r));
        agent.kill('SIGTERM');
        await exited;
      }
      agent = null;
    }

    /**
     * Kills one instance of `color` under load and waits until the colour is whole again; prints the time and the
     * load, and checks that no request failed.
     */
    async function killUnderLoad(color: Color, label: string): Promise<{ victim: string; healMs: number }> {
      const marker = `${label}${process.pid}`;
      const load = startLoad({
        url: fx.frontDoor,
        path: (n) => `/api/search?q=${marker}n${n}`,
        rate: 100,
        durationMs: 300_000,
      });
      let victim = '';
      let healMs = 0;
      try {
        await new Promise((r) => setTimeout(r, 3_000));
        const killedAt = Date.now();
        victim = await killOne(color);
        await waitFor(async () => !(await whole(color)), 10_000);
        await waitFor(() => whole(color), 120_000);
        healMs = Date.now() - killedAt;
        console.log(
          `${label}: killed ${victim} (kill -9); ${color} whole again, in ${router}, after ${healMs} ms`,
        );
        await new Promise((r) => setTimeout(r, 3_000));
      } finally {
        const s = await load.stop();
        console.log(`${formatLoad(`host kill -9 under load (${label})`, s)}\nagent:\n${agentLog}`);
        expect(s.non2xx).toEqual({});
        expect(s.errors).toEqual({});
      }
      return { victim, healMs };
    }

    const live = async (): Promise<Color> => ((await fx.router.current()).blue === 100 ? 'blue' : 'green');

    /** Kills one instance of `color` with SIGKILL; returns its id. */
    async function killOne(color: Color): Promise<string> {
      const state = JSON.parse(readFileSync(`${fx.config.stateDir}/state.json`, 'utf8')) as {
        instances: { id: string; color: Color; pid: number }[];
      };
      const victim = state.instances.find((i) => i.color === color)!;
      process.kill(victim.pid, 'SIGKILL');
      return victim.id;
    }

    /** The ports the router sends `color`'s traffic to, read from its live routing (include or runtime API). */
    const served = async (color: Color) =>
      livePorts((await hostControl(fx.config).liveUpstream()).parsed, color);

    /** True when `color` runs its desired count, all ready, and the router sends traffic to exactly their ports. */
    async function whole(color: Color): Promise<boolean> {
      const t = (await fx.target.state()).tracks[color];
      if (t.ready !== t.desired || t.total !== t.desired) return false;
      return (await served(color)).length === t.desired;
    }

    it('without the agent: status warns and a release refuses to start from the degraded colour', async () => {
      const color = await live();
      const victim = await killOne(color);
      const status = await deployCli(['status', '--host-config', fx.configPath, '--json']);
      // Each missing instance is named, with why it does not count.
      const why = `${victim} on :\\d+: process \\d+ is gone`;
      expect(status.json<DeployStatus>().warnings.join('\n')).toMatch(
        new RegExp(`${color} is degraded: 1 of 2 instances ready \\(${why}`),
      );
      const refused = await cli(['rolling', '--image', RELEASES.v2]);
      expect(refused.code, refused.stderr).toBe(1);
      const error = refused.json<{ error: { code: string; message: string } }>().error;
      expect(error.code).toBe('DEPLOY_DEGRADED');
      expect(error.message).toMatch(new RegExp(why));
      expect((await fx.target.state()).tracks[color].image).toBe(RELEASES.v1);
    });

    it('the agent replaces a killed instance; under load no request fails while the other one serves', async () => {
      const color = await live();
      agent = startAgent(fx.configPath);
      // It first heals what the previous test left: one of two instances.
      await waitFor(() => whole(color), 120_000).catch((err: unknown) => {
        throw new Error(`${String(err)}\nagent:\n${agentLog}\n${instanceLogs(fx)}`);
      });
      const { healMs } = await killUnderLoad(color, 'replacement');
      expect(healMs).toBeGreaterThan(0);
      expect((await fx.target.state()).tracks[color]).toMatchObject({
        image: RELEASES.v1,
        ready: 2,
        total: 2,
      });
    });

    it(`with a standby (host config \`standby: true\`) the agent heals by putting it in ${router}`, async () => {
      const color = await live();
      await stopAgent();
      const standbyConfig = fx.configPath.replace(/\.yaml$/, '-standby.yaml');
      writeFileSync(
        standbyConfig,
        stringify({ ...parse(readFileSync(fx.configPath, 'utf8')), standby: true }),
      );
      agent = startAgent(standbyConfig);
      const standbyId = async () =>
        (
          JSON.parse(readFileSync(`${fx.config.stateDir}/state.json`, 'utf8')) as {
            instances: { id: string; color: Color; phase: string; admitted?: boolean }[];
          }
        ).instances.find((i) => i.color === color && i.phase === 'standby' && i.admitted)?.id;
      await waitFor(async () => (await standbyId()) !== undefined, 120_000).catch((err: unknown) => {
        throw new Error(`${String(err)}\nagent:\n${agentLog}\n${instanceLogs(fx)}`);
      });
      const standby = (await standbyId())!;
      // A standby is not one of the colour's instances: the colour is whole and the router does not send it traffic.
      expect(await whole(color)).toBe(true);
      expect(await served(color)).not.toContain(Number(standby.split('-').at(-1)));
      await killUnderLoad(color, 'standby');
      const ids = (await fx.target.instances(color)).map((i) => i.id);
      expect(ids).toContain(standby);
      expect(agentLog).toContain(`standby ${standby} took its place`);
    });
  });
}
