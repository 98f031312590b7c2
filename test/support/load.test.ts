import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from './load.js';

/**
 * The load generator counts what the zero-downtime tests rest on, so it is checked against a server whose
 * answers are known: every tenth request (n % 10 == 3) gets a 503, another tenth (n % 10 == 7) has its connection
 * destroyed without an answer, and idle keep-alive connections are closed every 20 ms (the race a reload causes).
 */
describe('load generator', () => {
  let server: Server;
  let url: string;
  let idleCloser: NodeJS.Timeout;
  const seen = new Set<string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const n = Number(new URL(req.url!, 'http://x').searchParams.get('n'));
      seen.add(req.socket.remoteAddress ?? '');
      if (n % 10 === 7) return req.socket.destroy();
      res.writeHead(n % 10 === 3 ? 503 : 200, { 'x-instance': `i${n % 2}` }).end('ok');
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    idleCloser = setInterval(() => server.closeIdleConnections(), 20);
  });

  afterAll(async () => {
    clearInterval(idleCloser);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('puts every request in exactly one bucket, resending only requests a reused connection lost', async () => {
    const s = await startLoad({
      url,
      path: (n) => `/?n=${n}`,
      rate: 500,
      maxRequests: 1000,
      durationMs: 30_000,
      clients: 8,
      identify: (h) => h['x-instance'] as string | undefined,
    }).done;
    expect(s.requests).toBe(1000);
    expect(s.non2xx).toEqual({ '503': 100 });
    expect(s.errors).toEqual({ ECONNRESET: 100 });
    expect(s.ok).toBe(800);
    expect(s.failed).toBe(200);
    expect(s.byInstance.i0! + s.byInstance.i1!).toBe(900);
    // The idle closes raced some requests; each was sent again and answered (or failed for its own reason).
    expect(s.retriedOnReusedConnection).toBeGreaterThan(0);
    expect([...seen].every((a) => a.startsWith('127.0.0.'))).toBe(true);
    expect(seen.size).toBe(8);
  });

  it("splits the run into windows by each request's slot: a window counts its own requests and failures", async () => {
    const run = startLoad({ url, path: (n) => `/?n=${n}`, rate: 500, maxRequests: 200, durationMs: 30_000 });
    // The run's own clock: a busy machine may take milliseconds to set it up, which would shift every slot.
    const started = run.firstSlot;
    const s = await run.done;
    const whole = run.between(started - 1, performance.now());
    expect(whole.requests).toBe(200);
    expect(whole.failed).toBe(s.failed);
    expect(whole.strictFailed).toBeGreaterThanOrEqual(whole.failed);
    // Request n leaves at started + n * 2 ms: the first 100 (n 0..99) hold 10 of each kind of failure.
    const first = run.between(started - 1, started + 199);
    expect(first.requests).toBeGreaterThanOrEqual(99);
    expect(first.requests).toBeLessThanOrEqual(101);
    expect(first.failed).toBeGreaterThanOrEqual(19);
    expect(first.failed).toBeLessThanOrEqual(21);
    expect(run.between(started + 10_000, started + 20_000).requests).toBe(0);
  });

  it('refuses to send anywhere but loopback', () => {
    expect(() => startLoad({ url: 'http://10.0.0.1:80', path: () => '/', rate: 1, durationMs: 1 })).toThrow(
      /127\.0\.0\.0\/8/,
    );
  });
});
