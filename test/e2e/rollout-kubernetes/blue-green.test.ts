// @services kube
import { describe, expect, it } from 'vitest';
import {
  FLOW_TIMEOUT,
  flowEnv,
  deploy,
  result,
  selector,
  deployment,
} from '../../support/kubernetes/flow-env.js';

/**
 * One of the seed's flows, done by `sift deploy` as a real process against the real control plane (every pod runs a
 * real Sift): a blue-green release switches the Service and a rollback brings the old colour back.
 */

describe('sift deploy on Kubernetes: blue-green', { timeout: FLOW_TIMEOUT }, () => {
  const setup = flowEnv();

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
});
