import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHostConfig, type HostConfig } from '../../../src/rollout/platform/host/config.js';
import { HostControl } from '../../../src/rollout/platform/host/control.js';
import { initHost } from '../../../src/rollout/platform/host/init.js';
import { isSiftError } from '../../../src/errors.js';
import { HaproxyRouter } from '../../../src/rollout/traffic/haproxy.js';
import { haproxyFiles, runHaproxy, type Haproxy, type HaproxyFiles } from '../../support/haproxy.js';
import { claimPorts } from '../../support/net.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * What only the HAProxy router has, against a real HAProxy (the shipped configuration, loopback): the split
 * survives a restart (the backend file is rewritten on every change), and a backend file older than the host
 * config is refused with what to do. No Sift instance runs: the host state names instances on the colours'
 * ports (this process's pid, so they count as alive) and nothing is sent through HAProxy.
 */

const tmp = tempDir('sift-haproxy-');
let claim: { ports: number[]; release(): void };
let files: HaproxyFiles;
let config: HostConfig;
let haproxy: Haproxy;
let port: number;

const instance = (color: 'blue' | 'green', p: number) => ({
  id: `${color}-${p}`,
  color,
  port: p,
  image: '1.0',
  pid: process.pid,
  startTicks: null,
  phase: 'ready' as const,
  logFile: '/dev/null',
  startedAt: new Date().toISOString(),
});

beforeAll(async () => {
  claim = await claimPorts(7);
  const [front, ...ports] = claim.ports;
  port = front!;
  files = haproxyFiles(tmp.path, port);
  config = parseHostConfig(
    {
      router: 'haproxy',
      haproxy: {
        socket: files.socket,
        backendFile: files.backendFile,
        frontDoor: `http://127.0.0.1:${port}`,
      },
      instances: 2,
      ports: { blue: ports.slice(0, 3), green: ports.slice(3, 6) },
      command: ['true'],
      stateDir: join(tmp.path, 'state'),
    },
    tmp.path,
    'host.yaml',
  );
  await initHost(config);
  haproxy = await runHaproxy(files, port);
  // Two instances a colour, as a release leaves them, all traffic on blue.
  await new HostControl(config).change((s) => {
    s.instances = [
      ...config.ports.blue.slice(0, 2).map((p) => instance('blue', p)),
      ...config.ports.green.slice(0, 2).map((p) => instance('green', p)),
    ];
  });
}, 120_000);

afterAll(async () => {
  await haproxy?.stop();
  tmp.remove();
  claim?.release();
});

describe('HaproxyRouter against a real HAProxy', () => {
  it('keeps the split across an HAProxy restart', async () => {
    const router = new HaproxyRouter(config);
    expect(await router.current()).toEqual({ blue: 100, green: 0 });
    await router.setWeight('green', 30);
    expect((await router.verify({ blue: 70, green: 30 })).ok).toBe(true);
    await haproxy.stop();
    expect((await router.verify({ blue: 70, green: 30 })).ok).toBe(false);
    haproxy = await runHaproxy(files, port);
    const check = await router.verify({ blue: 70, green: 30 });
    expect(check, check.detail).toMatchObject({ ok: true, actual: { blue: 70, green: 30 } });
    await router.switchTo('green');
    await haproxy.stop();
    haproxy = await runHaproxy(files, port);
    expect(await router.current()).toEqual({ blue: 0, green: 100 });
  });

  it('refuses a change when HAProxy runs an older backend without a server for a port', async () => {
    const router = new HaproxyRouter(config);
    const current = readFileSync(files.backendFile, 'utf8');
    const last = config.ports.green.at(-1)!;
    await haproxy.stop();
    writeFileSync(files.backendFile, current.replace(new RegExp(`^.*green-${last} .*\\n`, 'm'), ''));
    haproxy = await runHaproxy(files, port);
    const err = await router.setWeight('green', 50).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSiftError(err) && err.code).toBe('DEPLOY_TARGET_UNAVAILABLE');
    expect((err as Error).message).toContain(`no server green-${last}`);
    expect(await router.current()).toEqual({ blue: 0, green: 100 });
  });
});
