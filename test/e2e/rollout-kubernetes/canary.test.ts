// @services kube
import { describe, expect, it } from 'vitest';
import {
  FLOW_TIMEOUT,
  flowEnv,
  deploy,
  result,
  selector,
  deployment,
  weights,
} from '../../support/kubernetes/flow-env.js';

/**
 * One of the seed's flows, done by `sift deploy` as a real process against the real control plane (every pod runs a
 * real Sift): a canary steps the Istio VirtualService's weights, pauses for promote and aborts; it is refused up
 * front on the Service selector router.
 */

describe('sift deploy on Kubernetes: canary', { timeout: FLOW_TIMEOUT }, () => {
  const setup = flowEnv();

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
});
