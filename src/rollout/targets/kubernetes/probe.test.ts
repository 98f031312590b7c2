import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../types.js';
import { portOf, probeDirect } from './probe.js';

// probeDirect against a real HTTP server on loopback; the pod-proxy path needs an API server and is exercised in
// test/integration/rollout-kubernetes.

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/health/ready') res.writeHead(200).end('ok');
    else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('late'), 2_000);
    else res.writeHead(503).end('draining');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const instance = (address: string): Instance => ({
  id: 'sift-blue-abc-1',
  color: 'blue',
  image: 'sift:1.0',
  address,
  ready: true,
});

describe('probeDirect', () => {
  it('reports a 2xx as ok and anything else as a failed measurement with the status', async () => {
    const ok = await probeDirect(instance(`127.0.0.1:${port}`), '/health/ready', 2_000);
    expect(ok).toMatchObject({ instance: 'sift-blue-abc-1', path: '/health/ready', ok: true, status: 200 });
    const bad = await probeDirect(instance(`127.0.0.1:${port}`), '/api/search?q=test', 2_000);
    expect(bad).toMatchObject({ ok: false, status: 503, error: 'HTTP 503: draining' });
  });

  it('returns timeouts and missing addresses as failures, never throwing', async () => {
    const slow = await probeDirect(instance(`127.0.0.1:${port}`), '/slow', 200);
    expect(slow).toMatchObject({ ok: false, status: null, error: 'no answer within 200 ms' });
    const pending = await probeDirect(instance(':8000'), '/health/ready', 200);
    expect(pending).toMatchObject({ ok: false, status: null });
    expect(pending.error).toContain('no address');
  });
});

describe('portOf', () => {
  it('reads the port at the end of an address', () => {
    expect(portOf('127.42.0.5:8000')).toBe(8000);
    expect(portOf('127.42.0.5')).toBeNull();
  });
});
