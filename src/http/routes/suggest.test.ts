import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecorder } from '../../analytics/open.js';
import type { AnalyticsRecorder } from '../../analytics/recorder.js';
import { buildApp, limitsFromConfig } from '../../app.js';
import { createEngine } from '../../engines/create.js';
import type { Engine } from '../../engines/engine.js';
import { SearchService } from '../../service/search-service.js';
import { DOCS, INDEX, json, SCHEMA, testConfig } from '../../../test/support/app.js';
import { tempDir } from '../../../test/support/temp-dir.js';

describe('suggestions with popular queries (analytics on, SQLite store)', () => {
  const dataDir = tempDir('sift-suggest-').path;
  let engine: Engine;
  let recorder: AnalyticsRecorder;
  let app: Awaited<ReturnType<typeof buildApp>>;
  const keys: { id: string; key: string }[] = [];

  const search = async (q: string, key: string) => {
    const res = await app.inject({
      url: `/api/indexes/${INDEX}/search?q=${encodeURIComponent(q)}`,
      headers: { 'x-api-key': key },
    });
    expect(res.statusCode).toBe(200);
  };
  const suggest = async (path: string, key?: string) => {
    const res = await app.inject({ url: path, headers: key ? { 'x-api-key': key } : {} });
    expect(res.statusCode, res.body).toBe(200);
    return json(res).suggestions;
  };

  beforeAll(async () => {
    // Timers far off: the test flushes and reloads itself.
    const config = testConfig(dataDir, {
      ANALYTICS_FLUSH_MS: '600000',
      ANALYTICS_SUGGEST_REFRESH_MS: '86400000',
      ANALYTICS_SUGGEST_MIN_PRINCIPALS: '3',
    });
    engine = await createEngine(config);
    await engine.open();
    const service = new SearchService(engine, limitsFromConfig(config));
    await service.putIndex(INDEX, SCHEMA);
    await service.importDocuments(INDEX, DOCS);
    recorder = (await openRecorder(config, (err) => {
      throw err;
    }))!;
    app = await buildApp({ config, service, analytics: recorder });
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/keys',
        payload: { name: `k${i}`, scopes: ['search'] },
      });
      expect(res.statusCode).toBe(201);
      keys.push(json(res));
    }
    // Three principals searched "Dune  desert" (with hits), three "xyzzy" (none), two "foundation empire".
    for (const { key } of keys) {
      await search('Dune  desert', key);
      await search('xyzzy', key);
    }
    await search('foundation empire', keys[0]!.key);
    await search('foundation empire', keys[1]!.key);
    // Scoped keys of one parent are one principal however many there are: "emma" stays out.
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/keys/scoped',
        payload: { parent: keys[i]!.id, filter: 'genre = "classic"', expires: '1h' },
      });
      expect(res.statusCode, res.body).toBe(201);
      await search('emma', json(res).key);
    }
    await recorder.flush();
    await recorder.popular!.refresh();
  });
  afterAll(async () => {
    await app?.close();
    await recorder?.close();
    await recorder?.store.close();
    await engine?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('merges the queries enough principals searched with hits into the index suggestions', async () => {
    expect(await suggest(`/api/indexes/${INDEX}/suggest?q=DU&size=4`)).toEqual([
      { text: 'dune desert', source: 'popular' },
      { text: 'Dune', id: 'dune' },
      { text: 'Dune Messiah', id: 'dune-messiah' },
    ]);
    expect((await suggest('/api/suggest?q=dune%20d'))[0]).toEqual({ text: 'dune desert', source: 'popular' });
  });

  it('suggests no query that found nothing, that too few principals searched, or that scoped keys searched', async () => {
    expect(await suggest(`/api/indexes/${INDEX}/suggest?q=xy`)).toEqual([]);
    expect(await suggest(`/api/indexes/${INDEX}/suggest?q=fo`)).toEqual([
      { text: 'Foundation', id: 'foundation' },
    ]);
    expect(await suggest(`/api/indexes/${INDEX}/suggest?q=em`)).toEqual([{ text: 'Emma', id: 'emma' }]);
  });

  it('offers no popular query to a scoped key', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/keys/scoped',
      payload: { parent: keys[0]!.id, expires: '1h' },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(await suggest(`/api/indexes/${INDEX}/suggest?q=du`, json(res).key)).toEqual([
      { text: 'Dune', id: 'dune' },
      { text: 'Dune Messiah', id: 'dune-messiah' },
    ]);
  });
});
