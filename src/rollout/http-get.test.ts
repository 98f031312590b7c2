import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from './http-get.js';

describe('httpGet', () => {
  // A server that takes requests and never answers them: only a timeout or an abort ends a GET to it.
  let server: Server;
  let url = '';
  beforeAll(async () => {
    server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('ends with `aborted` when its signal aborts, without waiting out the timeout', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    // The timeout is far beyond the test's own: only the abort can end this GET in time.
    const r = await httpGet(url, 3_600_000, {}, controller.signal);
    expect(r).toMatchObject({ status: null, error: 'aborted' });
  });

  it('sends nothing when the signal has already aborted', async () => {
    const r = await httpGet(url, 3_600_000, {}, AbortSignal.abort());
    expect(r.error).toBe('aborted');
  });

  it('ends with the timeout when nothing answers', async () => {
    const r = await httpGet(url, 100);
    expect(r).toMatchObject({ status: null, error: 'no answer within 100 ms' });
  });
});
