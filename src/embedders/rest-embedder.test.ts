import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiftError } from '../errors.js';
import { EMBEDDER_DEFAULTS } from '../schema/embedder.js';
import type { EmbedderSpec } from '../schema/types.js';
import { embedTexts } from './rest-embedder.js';

/** Answers each request with the next scripted reply (status and raw body); counts the requests. */
describe('the REST embedder', () => {
  let server: Server;
  let url = '';
  let replies: [number, string][] = [];
  let received = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        const [status, body] = replies.shift() ?? [500, '{}'];
        res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const spec = (): EmbedderSpec => ({
    source: 'rest',
    url,
    model: 'm',
    fields: ['t'],
    ...EMBEDDER_DEFAULTS,
    retries: 1,
    timeout_ms: 2000,
  });
  const call = { field: 'v', dimensions: 2, deadlineAt: Infinity };
  const run = async (answers: [number, string][], texts = ['a']) => {
    replies = answers;
    received = 0;
    try {
      return { vectors: await embedTexts(spec(), texts, call), received };
    } catch (err) {
      return { error: err as SiftError, received };
    }
  };
  const data = (...vs: unknown[]) =>
    JSON.stringify({ data: vs.map((embedding, index) => ({ embedding, index })) });

  it('puts the vectors in the order of their index, whatever order they come in', async () => {
    const body = JSON.stringify({
      data: [
        { embedding: [0, 1], index: 1 },
        { embedding: [1, 0], index: 0 },
      ],
    });
    expect(await run([[200, body]], ['a', 'b'])).toEqual({
      vectors: [
        [1, 0],
        [0, 1],
      ],
      received: 1,
    });
  });

  it('does not retry a refusal (4xx) and names the status', async () => {
    const { error, received } = await run([[401, '{"error":"bad key"}']]);
    expect(error).toMatchObject({ code: 'EMBEDDER_FAILED', status: 502, details: { field: 'v' } });
    expect(error!.message).toMatch(/401.*bad key/);
    expect(received).toBe(1);
  });

  it('refuses answers it cannot use', async () => {
    const bad: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['{"nothing": []}', /no "data" list/],
      [data([1, 0], [0, 1]), /unexpected index 1/],
      [data([1, 'x']), /finite float32/],
      [data([1, 0, 0]), /3 numbers; the field holds 2/],
      [JSON.stringify({ data: [{ embedding: [1, 0], index: 5 }] }), /unexpected index 5/],
    ];
    for (const [body, message] of bad) {
      const { error } = await run([[200, body]]);
      expect(error, body).toMatchObject({ code: 'EMBEDDER_FAILED' });
      expect(error!.message).toMatch(message);
    }
    const { error } = await run([[200, data([1, 0])]], ['a', 'b']);
    expect(error!.message).toMatch(/1 vectors for 2 texts/);
  });

  it('retries a 5xx and gives up after its retries with 503', async () => {
    expect(
      await run([
        [503, '{}'],
        [200, data([1, 0])],
      ]),
    ).toEqual({ vectors: [[1, 0]], received: 2 });
    const { error, received } = await run([
      [500, '{}'],
      [502, '{}'],
      [200, data([1, 0])],
    ]);
    expect(error).toMatchObject({ code: 'EMBEDDER_UNAVAILABLE', status: 503, details: { retry_after: 5 } });
    expect(error!.message).toMatch(/502 \(after 2 attempts\)/);
    expect(received).toBe(2);
  });

  it('sends nothing once the deadline has passed', async () => {
    replies = [[200, data([1, 0])]];
    received = 0;
    const err = await embedTexts(spec(), ['a'], { ...call, deadlineAt: performance.now() - 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'EMBEDDER_UNAVAILABLE' });
    expect(received).toBe(0);
  });
});
