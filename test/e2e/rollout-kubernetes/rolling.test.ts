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
 * real Sift): a rolling release updates the live colour in place, and one that never gets ready is undone.
 */

describe('sift deploy on Kubernetes: rolling', { timeout: FLOW_TIMEOUT }, () => {
  const setup = flowEnv();

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
});
