import { afterAll, describe, expect, it } from 'vitest';
import { tempHostConfig } from '../../../test/support/rollout-host/temp-host-config.js';
import { isSiftError } from '../../errors.js';
import { HaproxyRouter } from './haproxy.js';
import { NginxRouter } from './nginx.js';

// The router without a running HAProxy: what it says when the runtime API does not answer, and which host
// configs it accepts. Switching with a real HAProxy and real Sift instances is
// test/integration/rollout-host/routers.test.ts.
const t = tempHostConfig({
  router: 'haproxy',
  nginx: undefined,
  haproxy: { socket: 'admin.sock', backendFile: 'sift-backend.cfg', frontDoor: 'http://127.0.0.1:8080' },
});
const nginxHost = tempHostConfig();
afterAll(() => {
  t.remove();
  nginxHost.remove();
});

const codeOf = (fn: () => Promise<unknown>) =>
  Promise.resolve()
    .then(fn)
    .then(
      () => null,
      (e: unknown) => (isSiftError(e) ? e.code : String(e)),
    );

describe('HaproxyRouter', () => {
  it('says HAProxy is not answering when nothing listens on the socket', async () => {
    const router = new HaproxyRouter(t.config);
    expect(await codeOf(() => router.current())).toBe('DEPLOY_TARGET_UNAVAILABLE');
    const check = await router.verify({ blue: 100, green: 0 });
    expect(check).toMatchObject({ ok: false, actual: null });
    expect(check.detail).toMatch(/admin\.sock.*is HAProxy running/);
  });

  it('refuses weights outside 0..100 before asking HAProxy anything', async () => {
    const router = new HaproxyRouter(t.config);
    for (const bad of [-1, 101, 12.5])
      expect(await codeOf(() => router.setWeight('green', bad))).toBe('DEPLOY_INVALID');
  });

  it('is only built over a host config that routes through HAProxy, and nginx likewise', async () => {
    expect(await codeOf(async () => new HaproxyRouter(nginxHost.config))).toBe('DEPLOY_INVALID');
    expect(await codeOf(async () => new NginxRouter(t.config))).toBe('DEPLOY_INVALID');
  });
});
