import { rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { INDEX, SCHEMA } from '../../support/app.js';
import { killQuietly, spawnServer, type Child } from '../../support/sift-process.js';
import { tempDir } from '../../support/temp-dir.js';

const dataDir = tempDir('sift-durability-').path;
let first: Child | undefined;
let second: Child | undefined;

afterAll(() => {
  killQuietly(first);
  killQuietly(second);
  rmSync(dataDir, { recursive: true, force: true });
});

/** One request over a keep-alive agent, so the writes go as fast as the server acknowledges them. */
function send(
  agent: Agent,
  url: string,
  method: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpRequest(
      url,
      {
        method,
        agent,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
          : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('durability', () => {
  it('every acknowledged write survives kill -9', async () => {
    first = await spawnServer({ DATA_DIR: dataDir, DEFAULT_INDEX: INDEX, LOG_LEVEL: 'warn' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await send(agent, `${first.url}/api/indexes/${INDEX}`, 'PUT', SCHEMA)).status).toBe(201);

    const acknowledged: string[] = [];
    const N = 120;
    for (let i = 0; i < N; i++) {
      const id = `doc-${i}`;
      const res = await send(agent, `${first.url}/api/indexes/${INDEX}/documents/${id}`, 'PUT', {
        title: `Document ${i}`,
        pages: i,
      });
      expect(res.status, res.body).toBe(201);
      acknowledged.push(id);
    }
    // Writes by filter are acknowledged writes too: the last 20 go, the first 10 get a summary.
    const deleted = await send(
      agent,
      `${first.url}/api/indexes/${INDEX}/documents/delete-by-filter`,
      'POST',
      {
        filter: `pages >= ${N - 20}`,
      },
    );
    expect(JSON.parse(deleted.body)).toMatchObject({ deleted: 20 });
    const updated = await send(
      agent,
      `${first.url}/api/indexes/${INDEX}/documents/update-by-filter`,
      'POST',
      {
        filter: 'pages < 10',
        set: { summary: 'zircon' },
      },
    );
    expect(JSON.parse(updated.body)).toMatchObject({ updated: 10 });
    const kept = acknowledged.slice(0, N - 20);
    // kill -9 straight after the last answer: no graceful shutdown, no checkpoint.
    first.proc.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    agent.destroy();
    expect(acknowledged.length).toBe(N);

    second = await spawnServer({ DATA_DIR: dataDir, DEFAULT_INDEX: INDEX, LOG_LEVEL: 'warn' });
    const check = new Agent({ keepAlive: true, maxSockets: 8 });
    const missing: string[] = [];
    await Promise.all(
      kept.map(async (id) => {
        const res = await send(check, `${second!.url}/api/indexes/${INDEX}/documents/${id}`, 'GET');
        if (res.status !== 200) missing.push(id);
        else expect(JSON.parse(res.body).document.title).toBe(`Document ${id.slice(4)}`);
      }),
    );
    expect(missing).toEqual([]);
    const info = JSON.parse((await send(check, `${second.url}/api/indexes/${INDEX}`, 'GET')).body) as {
      documents: number;
    };
    expect(info.documents).toBe(N - 20);
    const search = JSON.parse(
      (await send(check, `${second.url}/api/search?q=document&size=0`, 'GET')).body,
    ) as { total: number };
    expect(search.total).toBe(N - 20);
    const summaries = JSON.parse(
      (await send(check, `${second.url}/api/search?q=zircon&size=0`, 'GET')).body,
    ) as { total: number };
    expect(summaries.total).toBe(10);
    check.destroy();
    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 90_000);
});
