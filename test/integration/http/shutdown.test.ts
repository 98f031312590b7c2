import { rmSync } from 'node:fs';
import { Agent, request as httpRequest, type ClientRequest } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { INDEX, SCHEMA } from '../../support/app.js';
import { killQuietly, spawnServer, type Child } from '../../support/sift-process.js';
import { tempDir } from '../../support/temp-dir.js';

const GRACE_MS = 15_000;
let child: Child | undefined;
let restarted: Child | undefined;
const dataDir = tempDir('sift-shutdown-').path;

afterAll(() => {
  killQuietly(child);
  killQuietly(restarted);
  rmSync(dataDir, { recursive: true, force: true });
});

function ndjson(prefix: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += `${JSON.stringify({ id: `${prefix}-${i}`, title: `Book ${prefix} ${i}`, summary: 'A slow import in flight during shutdown.', pages: i })}\n`;
  }
  return out;
}

interface InFlight {
  req: ClientRequest;
  rest: Buffer;
  response: Promise<{ status: number; body: string; connection: string | undefined }>;
}

/** Starts a batch import and sends only the first half of its body, so the request is in flight. */
function startImport(url: string, body: string): InFlight {
  const buf = Buffer.from(body);
  const half = Math.floor(buf.length / 2);
  let req!: ClientRequest;
  const response = new Promise<{ status: number; body: string; connection: string | undefined }>(
    (resolve, reject) => {
      req = httpRequest(
        `${url}/api/indexes/${INDEX}/documents`,
        {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/x-ndjson', 'content-length': String(buf.length) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection }),
          );
        },
      );
      req.on('error', reject);
    },
  );
  req.write(buf.subarray(0, half));
  return { req, rest: buf.subarray(half), response };
}

/** GET through a given agent; resolves with the status, or with the error code when the connection fails. */
function probe(url: string, agent: Agent): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.setTimeout(5000, () => req.destroy(new Error('probe timeout')));
    req.end();
  });
}

describe('graceful shutdown on SIGTERM', () => {
  it('completes in-flight requests, stops being ready, and exits 0 within the grace period', async () => {
    child = await spawnServer({
      DATA_DIR: dataDir,
      DEFAULT_INDEX: INDEX,
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    });
    const { url } = child;
    const created = await fetch(`${url}/api/indexes/${INDEX}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(SCHEMA),
    });
    expect(created.status).toBe(201);

    // An idle keep-alive connection, ready before the signal.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect(await probe(`${url}/health/ready`, agent)).toBe(200);

    const sizes = [3000, 3000, 3000, 3000];
    const inflight = sizes.map((n, i) => startImport(url, ndjson(`r${i}`, n)));
    // Let the server receive the headers (and start reading the bodies) before the signal.
    await new Promise((r) => setTimeout(r, 500));

    const signalledAt = Date.now();
    child.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));

    // Readiness is gone at once: 503 on a connection that is still open, or no connection at all.
    const afterSignal = await probe(`${url}/health/ready`, agent);
    expect(afterSignal).not.toBe(200);
    if (typeof afterSignal === 'number') expect(afterSignal).toBe(503);
    const fresh = await probe(`${url}/api/search?q=x`, new Agent({ keepAlive: false }));
    expect(fresh === 503 || typeof fresh === 'string', `new request after SIGTERM answered ${fresh}`).toBe(
      true,
    );

    // The in-flight requests finish their bodies after the signal and still succeed.
    for (const f of inflight) f.req.end(f.rest);
    const results = await Promise.all(inflight.map((f) => f.response));
    results.forEach((r, i) => {
      expect(r.status, r.body.slice(0, 300)).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ indexed: sizes[i], failed: 0 });
      expect(r.connection).toBe('close');
    });

    const { code, signal } = await child.exited;
    const tookMs = Date.now() - signalledAt;
    expect({ code, signal }, child.output()).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThan(GRACE_MS);
    expect(child.output()).toMatch(/SIGTERM received/);
    expect(child.output()).toMatch(/shutdown complete/);
    agent.destroy();

    // Everything acknowledged during the drain is on disk.
    restarted = await spawnServer({ DATA_DIR: dataDir, DEFAULT_INDEX: INDEX });
    const info = (await (await fetch(`${restarted.url}/api/indexes/${INDEX}`)).json()) as {
      documents: number;
    };
    expect(info.documents).toBe(sizes.reduce((a, b) => a + b, 0));
    restarted.proc.kill('SIGTERM');
    expect((await restarted.exited).code).toBe(0);
  }, 90_000);

  it('exits 1 with a log line when draining outlasts SHUTDOWN_GRACE_MS', async () => {
    const dir = tempDir('sift-shutdown-grace-').path;
    let slow: Child | undefined;
    try {
      slow = await spawnServer({ DATA_DIR: dir, DEFAULT_INDEX: INDEX, SHUTDOWN_GRACE_MS: '1000' });
      const created = await fetch(`${slow.url}/api/indexes/${INDEX}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(SCHEMA),
      });
      expect(created.status).toBe(201);
      // A request whose body never finishes keeps the drain from completing.
      const stuck = startImport(slow.url, ndjson('stuck', 100));
      stuck.response.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      const signalledAt = Date.now();
      slow.proc.kill('SIGTERM');
      const { code } = await slow.exited;
      const tookMs = Date.now() - signalledAt;
      expect(code, slow.output()).toBe(1);
      expect(tookMs).toBeGreaterThanOrEqual(900);
      expect(tookMs).toBeLessThan(10_000);
      expect(slow.output()).toMatch(/did not finish within SHUTDOWN_GRACE_MS/);
      stuck.req.destroy();
    } finally {
      killQuietly(slow);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
