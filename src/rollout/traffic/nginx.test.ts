import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHostConfig } from '../../../test/support/rollout-host/temp-host-config.js';
import { isSiftError } from '../../errors.js';
import { NginxRouter } from './nginx.js';

// The router without a running nginx: reading the live include back and refusing what it cannot do. Switching
// with a real nginx and real Sift instances is test/integration/rollout-host/routers.test.ts.
const t = tempHostConfig();
afterAll(() => t.remove());
const file = t.config.nginx!.upstreamFile;
const router = new NginxRouter(t.config);

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (isSiftError(e) ? e.code : String(e)),
  );

describe('NginxRouter', () => {
  it('has nothing to read before the include exists', async () => {
    expect(await codeOf(router.current())).toBe('DEPLOY_TARGET_UNAVAILABLE');
    expect(await router.verify({ blue: 100, green: 0 })).toMatchObject({ ok: false, actual: null });
  });

  it('reads the split from the live include, not from memory', async () => {
    writeFileSync(
      file,
      [
        '# active: blue',
        'server 127.0.0.1:8101 weight=3;',
        'server 127.0.0.1:8102 weight=3;',
        'server 127.0.0.1:8201 weight=2;',
      ].join('\n'),
    );
    expect(await router.current()).toEqual({ blue: 75, green: 25 });
    const mismatch = await router.verify({ blue: 100, green: 0 });
    expect(mismatch).toMatchObject({ ok: false, actual: { blue: 75, green: 25 } });
    expect(mismatch.detail).toContain('blue 75%');
    // The split matches, but no nginx runs behind the file: not verified.
    const noNginx = await router.verify({ blue: 75, green: 25 });
    expect(noNginx.ok).toBe(false);
    expect(noNginx.detail).toMatch(/nginx is not running/);
  });

  it('refuses bad weights and colours without ready instances, leaving the include untouched', async () => {
    const before = readFileSync(file, 'utf8');
    for (const bad of [-1, 101, 12.5, Number.NaN]) {
      expect(await codeOf(router.setWeight('green', bad))).toBe('DEPLOY_INVALID');
    }
    expect(await codeOf(router.switchTo('green'))).toBe('DEPLOY_INVALID');
    expect(await codeOf(router.setWeight('blue', 50))).toBe('DEPLOY_INVALID');
    // A dry run checks the weights, not readiness: it starts nothing, so the colour it switches to never is ready.
    const dry = new NginxRouter(t.config, { dryRun: true });
    expect(await codeOf(dry.setWeight('green', 101))).toBe('DEPLOY_INVALID');
    expect(await codeOf(dry.switchTo('green'))).toBe(null);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
