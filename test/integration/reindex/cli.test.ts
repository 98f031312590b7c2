/**
 * `sift reindex` as a real child process, while this process keeps writing into the same database through its own
 * engine: the writers of another process must lose nothing, and must notice the switch on their next write.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteEngine } from '../../../src/engines/sqlite/engine.js';
import { SearchService } from '../../../src/service/search-service.js';
import { sift, siftJson, siftSpawn } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';

const SCHEMA = {
  id_field: 'id',
  fields: {
    id: { type: 'keyword', sortable: true },
    title: { type: 'text' },
    n: { type: 'integer', sortable: true },
  },
};
const DOCS = 3000;

describe('sift reindex', { timeout: 120_000 }, () => {
  const data = tempDir('sift-reindex-cli-');
  const dir = data.path;
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  let engine: SqliteEngine;
  let svc: SearchService;

  beforeAll(() => {
    const schema = file('schema.json', JSON.stringify(SCHEMA));
    expect(sift(dir, ['index', 'create', 'items', '--schema', schema]).code).toBe(0);
    expect(sift(dir, ['index', 'create', 'never', '--schema', schema]).code).toBe(0);
    const lines = Array.from({ length: DOCS }, (_, i) =>
      JSON.stringify({ id: `item-${i}`, title: `item ${i}`, n: i }),
    );
    const input = file('items.ndjson', lines.join('\n'));
    expect(sift(dir, ['import', input, '--index', 'items']).code).toBe(0);
  });
  afterAll(async () => {
    await engine?.close();
    data.remove();
  });

  it('refuses bad usage and impossible requests with their exit codes', () => {
    const both = sift(dir, ['reindex', 'items', '--rollback', '--schema', 'x.yaml']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/cannot be used with/);
    const missing = sift(dir, ['reindex', 'no-such-index']);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('INDEX_NOT_FOUND')]);
    const never = sift(dir, ['reindex', 'never', '--rollback']);
    expect([never.code, never.stderr]).toEqual([1, expect.stringContaining('NO_PREVIOUS_VERSION')]);
    const misfit = file(
      'misfit.json',
      JSON.stringify({ ...SCHEMA, fields: { ...SCHEMA.fields, n: { type: 'boolean' } } }),
    );
    const refused = sift(dir, ['reindex', 'items', '--schema', misfit]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/REINDEX_INCOMPATIBLE: document "item-\d+" .*field "n"/);
    expect(sift(dir, ['reindex', 'items', '--schema', join(dir, 'absent.yaml')]).code).toBe(1);
  });

  it('reindexes in another process while this one writes, and rolls back, losing nothing', async () => {
    engine = new SqliteEngine({ dataDir: dir });
    await engine.open();
    svc = new SearchService(engine);
    const expected = new Map<string, number | null>();
    let running = true;
    let writes = 0;
    const writer = (async () => {
      for (let k = 0; running; k++) {
        const id = k % 2 === 0 ? `new-${k}` : `item-${(k * 31) % DOCS}`;
        if (k % 5 === 4) {
          await svc.deleteDocument('items', id).catch(() => undefined); // may already be gone
          expected.set(id, null);
        } else {
          await svc.putDocument('items', id, { title: `written ${k}`, n: 10_000 + k });
          expected.set(id, 10_000 + k);
        }
        writes++;
        await new Promise((r) => setTimeout(r, 1));
      }
    })();

    const schema2 = file(
      'schema2.json',
      JSON.stringify({
        ...SCHEMA,
        fields: { ...SCHEMA.fields, n: { type: 'float', sortable: true }, tag: { type: 'keyword' } },
      }),
    );
    const child = siftSpawn(dir, ['reindex', 'items', '--schema', schema2]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise((r) => setTimeout(r, 100));
    running = false;
    await writer;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/reindexed version 1 -> 2, [\d,]+ documents/);
    expect(stderr).toMatch(/copied [\d,]+ of [\d,]+ documents \(100%\)/);
    expect(writes).toBeGreaterThan(10);

    // This process's engine noticed the switch: the new schema is in force and every write is there.
    const info = await svc.getIndex('items');
    expect(info).toMatchObject({ version: 2, previous_version: 1 });
    expect(info.schema.fields.n!.type).toBe('float');
    const check = async () => {
      for (const [id, v] of expected) {
        const got = await engine.get('items', id);
        expect(got === null ? null : got.n, id).toBe(v);
      }
      const ids = new Set(Array.from({ length: DOCS }, (_, i) => `item-${i}`));
      for (const [id, v] of expected) {
        if (v === null) ids.delete(id);
        else ids.add(id);
      }
      expect((await svc.getIndex('items')).documents).toBe(ids.size);
    };
    await check();

    await svc.putDocument('items', 'after-switch', { title: 'after', n: 1, tag: 'x' });
    expected.set('after-switch', 1);
    const back = siftJson<{ from_version: number; to_version: number; documents: number }>(dir, [
      'reindex',
      'items',
      '--rollback',
      '--json',
    ]);
    expect(back).toMatchObject({ from_version: 2, to_version: 1 });
    expect((await svc.getIndex('items')).schema.fields.n!.type).toBe('integer');
    await check();
  });
});
