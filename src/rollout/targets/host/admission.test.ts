import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHostConfig } from '../../../../test/support/rollout-host/temp-host-config.js';
import { probeHeaders } from '../../../cli/rollout/analyses.js';
import { admissionRefusal } from './admission.js';

/**
 * The gate before nginx, against an HTTP server this test writes: a Sift whose reads need a key answers 401
 * without it, and a release given its credentials (`--probe-header`) must pass with them.
 */
describe('admission probes of a new instance', () => {
  let server: Server;
  let port: number;
  const seen: (string | undefined)[] = [];
  const host = tempHostConfig({ host: '127.0.0.1', readiness: { probeTimeoutMs: 1_000 } });
  const signal = new AbortController().signal;

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers['x-api-key'] as string | undefined);
      const search = req.url?.startsWith('/api/search');
      res.statusCode = search && req.headers['x-api-key'] !== 'sekret' ? 401 : 200;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    host.remove();
  });

  it('refuses an instance whose search answers 401, naming the path, after three tries', async () => {
    seen.length = 0;
    const why = await admissionRefusal(
      host.config,
      'blue-1',
      port,
      ['/health/ready', '/api/search?q=test'],
      signal,
    );
    expect(why).toContain(
      "blue-1 failed the release's probe /api/search?q=test before taking traffic (answered 401, 3 tries)",
    );
    expect(seen).toHaveLength(4);
  });

  it("admits it with the release's credentials, sent on every probe", async () => {
    seen.length = 0;
    const headers = probeHeaders(['X-API-Key: sekret']);
    const why = await admissionRefusal(
      host.config,
      'blue-1',
      port,
      ['/health/ready', '/api/search?q=test'],
      signal,
      headers,
    );
    expect(why).toBeNull();
    expect(seen).toEqual(['sekret', 'sekret']);
  });

  it('refuses a --probe-header that is not "Name: value"', () => {
    expect(() => probeHeaders(['no colon here'])).toThrow(/--probe-header/);
    expect(probeHeaders(['Authorization: Bearer a:b'])).toEqual({ authorization: 'Bearer a:b' });
  });
});
