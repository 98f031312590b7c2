// @services kube
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../support/kubernetes/env.js';
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
 * real Sift): blue-green releases that fail (a pod that never gets ready, a failing search probe) roll back by
 * themselves with traffic never leaving blue.
 */

describe('sift deploy on Kubernetes: failed blue-green releases', { timeout: FLOW_TIMEOUT }, () => {
  const setup = flowEnv();

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
    // The admission gate refuses the first pod (its searches answer 401) before it could take traffic.
    expect(result(r).reason).toMatch(
      /failed the release's probe \/api\/search\?q=test before taking traffic/,
    );
    expect(await selector(e)).toBe('blue');
    expect((await deployment(e, 'green')).replicas).toBe(0);
  });
});
