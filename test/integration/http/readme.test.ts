import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import { testConfig } from '../../support/app.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The README's "an index of your own" commands, run as written (with curl, from the repository root, so the
 * shipped example file is found) against a real listening server.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The curl commands of the README that work on the `books` index, continuation lines joined. */
function bookCommands(): string[] {
  const block = /## API at a glance\s+```sh\n([\s\S]*?)```/.exec(README)?.[1] ?? '';
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.startsWith('curl ') && line.includes('/api/indexes/books'))
    .filter((line) => !line.includes('/reindex')); // the reindex lines carry a "{...}" placeholder
}

let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir().path;
  server = await startServer(testConfig(dataDir), { handleSignals: false });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs one README command against the test server; resolves with the HTTP status and the body. */
async function run(command: string): Promise<{ status: number; body: string }> {
  const line = command
    .replaceAll('localhost:8000', `127.0.0.1:${server.port}`)
    .replace(/^curl /, `curl -sS -w '\\n%{http_code}' `);
  // Asynchronously: the server answers on this process's event loop.
  const { stdout: out } = await promisify(execFile)('sh', ['-c', line], { cwd: ROOT, timeout: 30_000 });
  const nl = out.lastIndexOf('\n');
  return { status: Number(out.slice(nl + 1)), body: out.slice(0, nl) };
}

describe("the README's book commands", () => {
  it('create the index, store a document, import the shipped NDJSON file and search it', async () => {
    const commands = bookCommands();
    expect(commands).toHaveLength(4);
    expect(commands[2]).toContain('@data/examples/books.ndjson');
    expect(commands[3]).toContain('/api/indexes/books/search');
    const results: { status: number; body: string }[] = [];
    for (const command of commands) results.push(await run(command)); // in order: each needs the one before
    const [create, put, importFile, search] = results;
    expect(create!.status, create!.body).toBe(201);
    expect(put!.status, put!.body).toBe(201);
    expect(importFile!.status, importFile!.body).toBe(200);
    const lines = readFileSync(new URL('../../../data/examples/books.ndjson', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    expect(JSON.parse(importFile!.body)).toMatchObject({ indexed: lines.length, failed: 0 });
    expect(search!.status, search!.body).toBe(200);
    const found = JSON.parse(search!.body) as {
      hits: { id: string; document: { title: string } }[];
      facets: { year: { buckets: { value: number; count: number }[] } };
    };
    expect(found.hits.map((h) => h.id).sort()).toEqual(['978-0', '978-0441013593']);
    expect(found.facets.year.buckets).toEqual([{ value: 1965, count: 2 }]);
  });

  it("range and stats facets on a filtered field ignore that field's own filter (docs/api.md)", async () => {
    const res = await fetch(`${server.url}/api/indexes/books/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        filter: 'year >= 1965',
        facets: [{ field: 'year', ranges: [{ to: 1960 }, { from: 1960 }], stats: true }],
      }),
    });
    const body = (await res.json()) as {
      total: number;
      facets: { year: { ranges: { count: number }[]; stats: { min: number; count: number } } };
    };
    expect(res.status).toBe(200);
    expect(body.total).toBe(5); // the hits obey the filter: 1965 (twice), 1969, 1984, 1989
    expect(body.facets.year.ranges.map((r) => r.count)).toEqual([2, 5]); // the facet does not
    expect(body.facets.year.stats).toMatchObject({ min: 1937, count: 7 });
  });
});
