import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { fixture, sift, siftJson } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';

/** The CLI signs and verifies cursors with the configured key, so paging moves between the API and `sift search`. */
const SECRET = 'a-cursor-secret-shared-by-server-and-cli-01';
const data = tempDir();
let server: RunningServer;

beforeAll(async () => {
  expect(sift(data.path, ['index', 'create', 'pkgs', '--schema', fixture('packages.schema.yaml')]).code).toBe(
    0,
  );
  expect(sift(data.path, ['import', fixture('packages.ndjson'), '--index', 'pkgs']).code).toBe(0);
  const config = loadConfig(
    {
      ENVIRONMENT: 'development',
      DATA_DIR: data.path,
      LOAD_SAMPLE_DATA: 'false',
      LOG_LEVEL: 'silent',
      LOG_FORMAT: 'json',
      HOST: '127.0.0.1',
      PORT: '0',
      CURSOR_SECRET: SECRET,
    },
    join(data.path, 'no-such.env'),
  );
  server = await startServer(config, { handleSignals: false, loadSample: false });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  data.remove();
}, 120_000);

describe('sift search --cursor', () => {
  it('continues a page the server started when both share CURSOR_SECRET, and refuses it with another key', async () => {
    const res = await fetch(`${server.url}/api/indexes/pkgs/search?sort=-downloads&size=2`);
    const first = (await res.json()) as { hits: { id: string }[]; next_cursor: string };
    expect(first.next_cursor).toEqual(expect.any(String));
    const all = siftJson<{ hits: { id: string }[] }>(data.path, [
      'search',
      '--index',
      'pkgs',
      '--sort',
      '-downloads',
      '--size',
      '4',
      '--json',
    ]);

    const args = [
      'search',
      '--index',
      'pkgs',
      '--sort',
      '-downloads',
      '--size',
      '2',
      '--cursor',
      first.next_cursor,
      '--json',
    ];
    const next = sift(data.path, args, { env: { CURSOR_SECRET: SECRET } });
    expect(next.code, next.stderr).toBe(0);
    const page = JSON.parse(next.stdout) as { hits: { id: string }[] };
    expect([...first.hits, ...page.hits].map((h) => h.id)).toEqual(all.hits.map((h) => h.id));

    const other = sift(data.path, args, {
      env: { CURSOR_SECRET: 'a-different-cursor-secret-0123456789abc' },
    });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('INVALID_CURSOR');
  }, 180_000); // three CLI processes on a shared, busy machine: a generous bound, not a speed expectation
});
