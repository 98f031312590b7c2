import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutResult } from '../../../src/rollout/strategies/context.js';
import { deployCli, type DeployRun } from '../../support/deploy-cli.js';
import {
  instanceLogs,
  RELEASES,
  startHostFixture,
  type HostFixture,
} from '../../support/rollout-host/host-fixture.js';

/**
 * The steps of docs/deploy.md, "First deploy on a host", on a fresh host: deploy/haproxy as shipped, a host
 * config asking for two instances per colour, `sift deploy init` writing the backend file HAProxy needs to start,
 * HAProxy started, a dry run, then the first release. Real HAProxy, real Sift processes. Then the same behind nginx,
 * as the docs tell it after the steps: deploy/nginx copied as shipped (its upstream include names the compose
 * stack's servers, which `init` replaces).
 */
const INIT_WROTE = {
  nginx: /sift-active\.conf: replaced the sample/,
  haproxy: /sift-backend\.cfg: created/,
};

for (const router of ['haproxy', 'nginx'] as const) {
  describe(
    `the first deploy on a host behind ${router}, as docs/deploy.md tells it`,
    { timeout: 600_000 },
    () => {
      let fx: HostFixture;
      let init: DeployRun | undefined;
      const cli = (args: string[]) =>
        deployCli([...args, '--host-config', fx.configPath, '--json'], { timeoutMs: 300_000 });
      const result = (r: DeployRun) => r.json<RolloutResult>();

      beforeAll(async () => {
        fx = await startHostFixture({
          router,
          instances: 2,
          drainSeconds: 1,
          // Step 3 of the docs, before the router starts: HAProxy refuses a missing backend file, nginx the
          // shipped include's unresolvable servers.
          beforeNginx: async (configPath) => {
            init = await deployCli(['init', '--host-config', configPath, '--json']);
          },
        });
      }, 400_000);

      afterAll(async () => {
        await fx?.close();
      }, 120_000);

      it('init, a dry run and the first release start the configured number of instances', async () => {
        expect(init?.code, init?.stderr).toBe(0);
        expect(init?.json<{ wrote: string[] }>().wrote).toEqual([expect.stringMatching(INIT_WROTE[router])]);

        const dry = await cli(['blue-green', '--image', RELEASES.v1, '--dry-run']);
        expect(dry.code, dry.stdout + dry.stderr).toBe(0);
        expect(result(dry)).toMatchObject({ outcome: 'succeeded', dryRun: true });
        expect(result(dry).actions).toContain('(dry run) scaled green to 2');
        expect(await fx.router.current()).toEqual({ blue: 100, green: 0 });

        const first = await cli(['blue-green', '--image', RELEASES.v1, '--scale-down-delay', '1s']);
        expect(first.code, `${first.stderr}\n${instanceLogs(fx)}`).toBe(0);
        expect(result(first).actions).toContain('scaled green to 2');
        const state = await fx.target.state();
        expect(state.tracks.green).toMatchObject({ image: RELEASES.v1, desired: 2, ready: 2 });
        expect(await fx.router.current()).toEqual({ blue: 0, green: 100 });
        expect(await fx.observe(4)).toEqual({ blue: 0, green: 4 });

        // Run again, init leaves the host alone.
        const again = await deployCli(['init', '--host-config', fx.configPath, '--json']);
        expect(again.json<{ wrote: string[]; kept: string[] }>()).toMatchObject({ wrote: [] });
      });
    },
  );
}
