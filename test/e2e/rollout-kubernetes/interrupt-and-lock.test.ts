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
import { waitFor as waitUntil } from '../../support/net.js';

/**
 * One of the seed's flows, done by `sift deploy` as a real process against the real control plane (every pod runs a
 * real Sift): an interrupted release (Ctrl-C) puts everything back, so does `abort` from another process (a
 * request written into the release ConfigMap), a second deploy is refused while the lock is held, and a dry run
 * changes nothing.
 */

describe('sift deploy on Kubernetes: interrupt, lock and dry run', { timeout: FLOW_TIMEOUT }, () => {
  const setup = flowEnv();

  it('an interrupted release (Ctrl-C) puts everything back and says what it did', async () => {
    const e = await setup('bg-sigint');
    const r = await deploy(e, ['blue-green', '--image', 'sift:not-ready', '--ready-timeout', '5m'], {
      onStart: (child) => {
        // Interrupt once the candidate has been scaled up, mid-wait. Exactly once: on a busy API server several
        // reads are in flight at a time, and a second SIGINT would make the CLI leave without rolling back.
        let interrupted = false;
        const poll = setInterval(() => {
          void deployment(e, 'green').then((d) => {
            if (d.replicas > 0 && !interrupted) {
              interrupted = true;
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
  it('abort from another process stops a running release: it rolls back at its readiness wait', async () => {
    const e = await setup('bg-abort');
    const running = deploy(e, ['blue-green', '--image', 'sift:not-ready', '--ready-timeout', '5m']);
    // The candidate is up and never gets ready: the release waits for it, holding the lock.
    await waitUntil(async () => (await deployment(e, 'green')).replicas > 0, 120_000);
    const abort = await deploy(e, ['abort']);
    expect(abort.code, abort.stderr).toBe(0);
    expect(result(abort)).toMatchObject({ strategy: 'abort', outcome: 'aborted' });
    expect(abort.stderr).toMatch(/asked the running release/);
    const r = await running;
    expect(r.code, r.stderr).toBe(3);
    expect(result(r).reason).toMatch(/^aborted by .* \(sift deploy abort\)$/);
    expect(result(r).actions).toContain('scaled green to 0');
    expect(result(r).record).toMatchObject({ phase: 'rolled-back', request: { action: 'abort' } });
    expect(await selector(e)).toBe('blue');
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
