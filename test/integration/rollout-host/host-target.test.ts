import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiftError } from '../../../src/errors.js';
import { HostControl } from '../../../src/rollout/platform/host/control.js';
import { parseState } from '../../../src/rollout/platform/host/host-state.js';
import { isAlive } from '../../../src/rollout/platform/host/processes.js';
import { ROOT } from '../../support/files.js';
import {
  instanceLogs,
  RELEASES,
  startHostFixture,
  type HostFixture,
} from '../../support/rollout-host/host-fixture.js';
import { nodeArgs } from '../../support/compiled.js';

/**
 * What the host target does beyond the shared Target suite, against a real nginx and real Sift processes: nginx's
 * refusals leave the live include as it was, probes report a broken release as measurements, and instances outlive
 * the CLI that started them, which a later process picks up and finishes.
 */
describe('host target behind a real nginx', { timeout: 600_000 }, () => {
  let fx: HostFixture;
  const signal = new AbortController().signal;
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: unknown) => (isSiftError(e) ? e.code : String(e)),
    );
  const readState = () =>
    parseState(JSON.parse(readFileSync(join(fx.config.stateDir, 'state.json'), 'utf8')), 'state');

  beforeAll(async () => {
    fx = await startHostFixture({ drainSeconds: 3 });
    await fx.target.setImage('blue', RELEASES.v1);
    await fx.target.scale('blue', 2);
    const r = await fx.target.waitReady('blue', { timeoutMs: 180_000, signal });
    if (!r.ok) throw new Error(`${r.reason}\n${instanceLogs(fx)}`);
  }, 300_000);

  afterAll(async () => {
    await fx?.close();
  }, 120_000);

  it('keeps the previous include when nginx -t refuses the new one, and says so', async () => {
    const before = readFileSync(fx.config.nginx!.upstreamFile, 'utf8');
    const state = readFileSync(join(fx.config.stateDir, 'state.json'), 'utf8');
    // The same host with a server parameter nginx does not know: every rendering is invalid.
    const broken = new HostControl({ ...fx.config, serverParameters: 'max_fails=many' });
    const err = await broken
      .change(() => undefined)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isSiftError(err) && err.code).toBe('DEPLOY_TARGET_UNAVAILABLE');
    expect((err as Error).message).toMatch(/nginx -t refused .*previous one is back/s);
    expect(readFileSync(fx.config.nginx!.upstreamFile, 'utf8')).toBe(before);
    expect(readFileSync(join(fx.config.stateDir, 'state.json'), 'utf8')).toBe(state);
    expect((await fetch(`${fx.frontDoor}/health/ready`)).status).toBe(200);
  });

  it('puts the include back when nginx cannot be reloaded', async () => {
    const before = readFileSync(fx.config.nginx!.upstreamFile, 'utf8');
    const elsewhere = new HostControl({
      ...fx.config,
      serverParameters: 'max_fails=4 fail_timeout=10s',
      nginx: { ...fx.config.nginx!, pidFile: join(fx.dir, 'no-such-nginx.pid') },
    });
    expect(await codeOf(elsewhere.change(() => undefined))).toBe('DEPLOY_TARGET_UNAVAILABLE');
    expect(readFileSync(fx.config.nginx!.upstreamFile, 'utf8')).toBe(before);
  });

  it('writes a change of the include that leaves its directives alone without reloading nginx', async () => {
    const control = new HostControl(fx.config);
    const file = fx.config.nginx!.upstreamFile;
    const before = readFileSync(file, 'utf8');
    const reloads = fx.watchReloads();
    // Green runs nothing, so a share for it changes the include's header and no server: nginx routes the same.
    const shared = await control.change((s) => {
      s.weights = { blue: 90, green: 10 };
    });
    // The file says what the state says, for the read-back.
    expect(readFileSync(file, 'utf8')).toMatch(/blue 90%, green 10%/);
    const back = await control.change((s) => {
      s.weights = { blue: 100, green: 0 };
    });
    expect(reloads.stop()).toEqual([]);
    expect(shared.retired).toBeNull();
    expect(back.retired).toBeNull();
    expect(readFileSync(file, 'utf8')).toBe(before);
    // A change of routing (blue's servers given other parameters) still reloads, and so does putting it back.
    const routed = await new HostControl({ ...fx.config, serverParameters: 'max_fails=3' }).change(
      () => undefined,
    );
    expect(routed.retired).not.toBeNull();
    expect((await control.change(() => undefined)).retired).not.toBeNull();
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(await fx.router.current()).toEqual({ blue: 100, green: 0 });
  });

  it('reports a release whose searches fail as ready, with the failing probe as a measurement', async () => {
    await fx.target.setImage('green', RELEASES.searchFails);
    await fx.target.scale('green', 1);
    const r = await fx.target.waitReady('green', { timeoutMs: 120_000, signal });
    expect(r.ok, r.ok ? '' : r.reason).toBe(true);
    const [one] = await fx.target.instances('green');
    expect(await fx.target.probe(one!, '/health/ready', 5_000)).toMatchObject({ ok: true, status: 200 });
    expect(await fx.target.probe(one!, '/api/search?q=test', 5_000)).toMatchObject({
      ok: false,
      status: 401,
    });
    // Green carries no traffic, so nothing reached it through nginx.
    expect(await fx.router.current()).toEqual({ blue: 100, green: 0 });
    await fx.target.scale('green', 0);
    expect((await fx.target.waitReady('green', { timeoutMs: 60_000, signal })).ok).toBe(true);
  });

  it('refuses an unlisted release, more instances than its ports allow, and an undo with no history', async () => {
    expect(await codeOf(fx.target.setImage('blue', '9.9'))).toBe('DEPLOY_INVALID');
    // Three ports per colour: two instances and the surge port.
    expect(await codeOf(fx.target.scale('blue', 3))).toBe('DEPLOY_INVALID');
    // Green only ever ran one release.
    expect(await codeOf(fx.target.undo('green'))).toBe('DEPLOY_NO_RELEASE');
    expect((await fx.target.state()).tracks.blue).toMatchObject({ image: RELEASES.v1, desired: 2, ready: 2 });
  });

  it('leaves instances running when the deploying CLI is killed, and a later process finishes the rollout', async () => {
    const cli = spawn(
      process.execPath,
      nodeArgs('test/support/rollout-host/interrupted-cli.ts', fx.configPath, 'blue', RELEASES.v2),
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((r) => cli.once('exit', r));
    const started = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the CLI did not start an instance in 60 s')), 60_000);
      createInterface({ input: cli.stdout! }).on('line', (line) => {
        const m = /^STARTED (\S+)$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    cli.kill('SIGKILL');
    await exited;

    const midway = readState();
    const surge = midway.instances.find((i) => i.id === started)!;
    expect(surge.image).toBe(RELEASES.v2);
    // Its parent is gone; the instance is not.
    expect(isAlive({ pid: surge.pid, startTicks: surge.startTicks })).toBe(true);
    expect(midway.instances.filter((i) => i.color === 'blue' && i.image === RELEASES.v1)).toHaveLength(2);

    const r = await fx.target.waitReady('blue', { timeoutMs: 180_000, signal });
    expect(r.ok, r.ok ? '' : `${r.reason}\n${instanceLogs(fx)}`).toBe(true);
    expect(r.track).toMatchObject({ image: RELEASES.v2, ready: 2, updated: 2, total: 2 });
    const after = readState();
    // The instance the killed CLI started was adopted, not replaced.
    expect(after.instances.map((i) => i.id)).toContain(started);
    expect(after.instances.every((i) => i.image === RELEASES.v2 && i.phase === 'ready')).toBe(true);
  });
});
