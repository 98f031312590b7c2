import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { RolloutResult } from '../../../src/rollout/strategies/context.js';
import { deployCli, type DeployRun } from '../support/deploy-cli.js';
import { kubeEnv, waitFor, type KubeEnv } from './env.js';

/**
 * The seed's flows, done by `sift deploy` as a real process against the real control plane: blue-green, rolling
 * and canary, failed releases that roll back by themselves (a pod that never gets ready, a probe that fails), an
 * interrupt, abort, promote, rollback, the lock and a server-side dry run. Every pod runs a real Sift.
 */

const TIMEOUT = 240_000;
let env: KubeEnv | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

async function setup(prefix: string, opts: { virtualService?: boolean } = {}): Promise<KubeEnv> {
  env = await kubeEnv(prefix, { replicas: { blue: 2, green: 0 }, image: 'sift:1.0', live: 'blue', ...opts });
  const ready = await waitFor(env.target(), 'blue', 90_000);
  expect(ready.ok, ready.ok ? '' : ready.reason).toBe(true);
  return env;
}

const deploy = (e: KubeEnv, args: string[], opts: Parameters<typeof deployCli>[1] = {}): Promise<DeployRun> =>
  deployCli([...args, '--kubeconfig', e.kubeconfig, '-n', e.namespace, '--probe', 'direct', '--json'], opts);

const result = (r: DeployRun) => r.json<RolloutResult>();

async function selector(e: KubeEnv): Promise<string | undefined> {
  const svc = await e.kc
    .makeApiClient(CoreV1Api)
    .readNamespacedService({ name: 'sift', namespace: e.namespace });
  return svc.spec?.selector?.color;
}

async function deployment(e: KubeEnv, color: 'blue' | 'green') {
  const d = await e.kc
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: `sift-${color}`, namespace: e.namespace });
  return { image: d.spec?.template.spec?.containers[0]?.image, replicas: d.spec?.replicas ?? 0 };
}

async function weights(e: KubeEnv): Promise<Record<string, number>> {
  const vs = (await e.kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace: e.namespace,
    plural: 'virtualservices',
    name: 'sift',
  })) as {
    spec: { http: { name: string; route: { destination: { subset: string }; weight?: number }[] }[] };
  };
  const route = vs.spec.http.find((r) => r.name === 'default')!;
  return Object.fromEntries(route.route.map((d) => [d.destination.subset, d.weight ?? 0]));
}

describe('sift deploy on Kubernetes', { timeout: TIMEOUT }, () => {
  it('blue-green: releases on green, switches the Service, scales blue down; rollback brings blue back', async () => {
    const e = await setup('bg');
    const r = await deploy(e, ['blue-green', '--image', 'sift:2.0', '--scale-down-delay', '1s']);
    expect(r.code, r.stderr).toBe(0);
    expect(result(r).outcome).toBe('succeeded');
    expect(
      result(r)
        .measurements.filter((m) => m.name.includes('/api/search'))
        .every((m) => m.ok),
    ).toBe(true);
    expect(await selector(e)).toBe('green');
    expect(await deployment(e, 'green')).toEqual({ image: 'sift:2.0', replicas: 2 });
    expect((await deployment(e, 'blue')).replicas).toBe(0);

    const status = await deploy(e, ['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json()).toMatchObject({
      traffic: { blue: 0, green: 100 },
      release: { phase: 'succeeded' },
    });

    const back = await deploy(e, ['rollback', '--scale-down-delay', '1s']);
    expect(back.code, back.stderr).toBe(0);
    expect(result(back).outcome).toBe('rolled-back');
    expect(await selector(e)).toBe('blue');
    expect(await deployment(e, 'blue')).toEqual({ image: 'sift:1.0', replicas: 2 });
    expect((await deployment(e, 'green')).replicas).toBe(0);
  });

  it('blue-green: a pod that never gets ready rolls back with traffic never leaving blue', async () => {
    const e = await setup('bg-notready');
    const r = await deploy(e, ['blue-green', '--image', 'sift:not-ready', '--ready-timeout', '15s']);
    expect(r.code, r.stderr).toBe(3);
    expect(result(r).outcome).toBe('rolled-back');
    expect(result(r).reason).toMatch(/green did not become ready/);
    expect(await selector(e)).toBe('blue');
    expect((await deployment(e, 'green')).replicas).toBe(0);
    expect((await waitFor(e.target(), 'blue', 10_000)).ok).toBe(true);
  });

  it('blue-green: a failing search probe stops the switch and rolls back', async () => {
    const e = await setup('bg-badprobe');
    const r = await deploy(e, ['blue-green', '--image', 'sift:bad-search']);
    expect(r.code, r.stderr).toBe(3);
    const failed = result(r).measurements.filter((m) => !m.ok);
    expect(failed.map((m) => m.name).join(' ')).toContain('/api/search');
    expect(await selector(e)).toBe('blue');
    expect((await deployment(e, 'green')).replicas).toBe(0);
  });

  it('an interrupted release (Ctrl-C) puts everything back and says what it did', async () => {
    const e = await setup('bg-sigint');
    const r = await deploy(e, ['blue-green', '--image', 'sift:not-ready', '--ready-timeout', '5m'], {
      onStart: (child) => {
        // Interrupt once the candidate has been scaled up, mid-wait.
        const poll = setInterval(() => {
          void deployment(e, 'green').then((d) => {
            if (d.replicas > 0) {
              clearInterval(poll);
              setTimeout(() => child.kill('SIGINT'), 1_000);
            }
          });
        }, 300);
        child.on('close', () => clearInterval(poll));
      },
    });
    expect(r.code, r.stderr).toBe(3);
    expect(result(r).reason).toBe('interrupted (SIGINT)');
    expect(result(r).actions).toContain('scaled green to 0');
    expect(await selector(e)).toBe('blue');
    expect((await deployment(e, 'green')).replicas).toBe(0);
  });

  it('rolling: updates the live colour in place, and undoes a release that never gets ready', async () => {
    const e = await setup('rolling');
    const ok = await deploy(e, ['rolling', '--image', 'sift:2.0']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await deployment(e, 'blue')).toEqual({ image: 'sift:2.0', replicas: 2 });
    expect(await selector(e)).toBe('blue');

    const bad = await deploy(e, ['rolling', '--image', 'sift:not-ready', '--ready-timeout', '15s']);
    expect(bad.code, bad.stderr).toBe(3);
    expect(result(bad).actions).toContain('undid the last change of blue');
    expect((await deployment(e, 'blue')).image).toBe('sift:2.0');
    const after = await waitFor(e.target(), 'blue', 30_000);
    expect(after.ok, after.ok ? '' : after.reason).toBe(true);
    expect(after.track).toMatchObject({ image: 'sift:2.0', ready: 2, total: 2 });
  });

  it('canary with Istio: weights step up, pause for promote, promote moves the VirtualService and Service', async () => {
    const e = await setup('canary', { virtualService: true });
    const paused = await deploy(e, [
      'canary',
      '--image',
      'sift:2.0',
      '--steps',
      '25,50',
      '--step-pause',
      '1s',
      '--manual',
      '--scale-down-delay',
      '1s',
    ]);
    expect(paused.code, paused.stderr).toBe(0);
    expect(result(paused).outcome).toBe('paused');
    expect(await weights(e)).toEqual({ blue: 50, green: 50 });
    expect(await selector(e)).toBe('blue');

    const promoted = await deploy(e, ['promote', '--scale-down-delay', '1s']);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(result(promoted).outcome).toBe('succeeded');
    expect(await weights(e)).toEqual({ blue: 0, green: 100 });
    expect(await selector(e)).toBe('green');
    expect((await deployment(e, 'blue')).replicas).toBe(0);

    // A second canary, aborted while paused: everything back on green; a second abort changes nothing.
    const again = await deploy(e, [
      'canary',
      '--image',
      'sift:1.0',
      '--steps',
      '30',
      '--step-pause',
      '0s',
      '--manual',
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(await weights(e)).toEqual({ blue: 30, green: 70 });
    const aborted = await deploy(e, ['abort']);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(result(aborted).outcome).toBe('aborted');
    expect(await weights(e)).toEqual({ blue: 0, green: 100 });
    expect((await deployment(e, 'blue')).replicas).toBe(0);
    const noop = await deploy(e, ['abort']);
    expect(noop.code, noop.stderr).toBe(0);
    expect(result(noop).outcome).toBe('noop');
    expect(result(noop).actions).toEqual([]);
  });

  it('canary is refused up front on the Service selector router', async () => {
    const e = await setup('canary-refused');
    const r = await deploy(e, ['canary', '--image', 'sift:2.0', '--router', 'service']);
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ error: { code: 'DEPLOY_UNSUPPORTED' } });
    expect(await deployment(e, 'green')).toEqual({ image: 'sift:1.0', replicas: 0 });
  });

  it('a second deploy is refused while the lock is held, and a dry run changes nothing', async () => {
    const e = await setup('lock');
    const lock = await e.target().store.lock('operator@elsewhere pid 1');
    try {
      const refused = await deploy(e, ['blue-green', '--image', 'sift:2.0']);
      expect(refused.code).toBe(1);
      expect(refused.json()).toMatchObject({ error: { code: 'DEPLOY_LOCKED' } });
      expect(refused.stderr).toContain('operator@elsewhere');
    } finally {
      await lock.release();
    }
    const dry = await deploy(e, ['blue-green', '--image', 'sift:2.0', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(result(dry).dryRun).toBe(true);
    expect(result(dry).actions).toContain('(dry run) switched traffic to green');
    expect(await deployment(e, 'green')).toEqual({ image: 'sift:1.0', replicas: 0 });
    expect(await selector(e)).toBe('blue');
    expect((await deploy(e, ['status'])).json()).toMatchObject({ release: null });
  });
});
