import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../../src/server.js';
import { DOCS, INDEX, SCHEMA, testConfig } from '../../../support/app.js';
import { tempDir } from '../../../support/temp-dir.js';
import { apiCaller } from './api-call.js';

export interface SuggestionsSetup {
  /** Settings over the test defaults (DATABASE_URL for PostgreSQL); called in beforeAll. */
  env(): Promise<Record<string, string>>;
  cleanup?(): Promise<void>;
}

/**
 * A real listening server with analytics on: searches by API keys, anonymous callers and scoped keys, flushed and
 * reloaded on the server's own timers, then the suggestion routes must offer exactly the queries the rule allows
 * (docs/operations.md, "Popular queries as suggestions"). The same script runs on every store.
 */
export function describePopularSuggestions(store: string, setup: SuggestionsSetup): void {
  describe(`popular queries as suggestions (${store})`, () => {
    const dataDir = tempDir('sift-suggest-').path;
    let server: RunningServer;
    const keys: { id: string; key: string }[] = [];

    const { call, ok } = apiCaller(() => server.url);
    const search = (q: string, key?: string) =>
      ok(call('GET', `/api/indexes/${INDEX}/search?q=${encodeURIComponent(q)}`, undefined, key));
    // Each poll asks for another size: suggestions are answered from the response cache for a minute.
    let size = 3;
    const suggest = async (q: string, key?: string) =>
      (
        await ok(
          call(
            'GET',
            `/api/indexes/${INDEX}/suggest?q=${encodeURIComponent(q)}&size=${size++}`,
            undefined,
            key,
          ),
        )
      ).suggestions;

    beforeAll(async () => {
      const env = await setup.env();
      server = await startServer(
        testConfig(dataDir, {
          ANALYTICS_FLUSH_MS: '50',
          ANALYTICS_SUGGEST_REFRESH_MS: '100',
          ANALYTICS_SUGGEST_MIN_PRINCIPALS: '3',
          CACHE_TTL_SECONDS: '60',
          RATE_LIMIT_ENABLED: 'false',
          ...env,
        }),
        { handleSignals: false },
      );
      await server.service.putIndex(INDEX, SCHEMA);
      await server.service.importDocuments(INDEX, DOCS);
      for (let i = 0; i < 3; i++)
        keys.push(await ok(call('POST', '/api/keys', { name: `k${i}`, scopes: ['search'] }), 201));

      // Three keys searched "dune desert" (spelled as each typed it); "desert planet" two keys and, however
      // often, anonymous callers (one principal): three principals. "xyzzy" three keys, nothing found.
      for (const [i, { key }] of keys.entries()) {
        await search(['Dune desert', 'dune  DESERT', 'dune desert'][i]!, key);
        await search('xyzzy', key);
      }
      await search('desert planet', keys[0]!.key);
      await search('Desert planet', keys[1]!.key);
      for (let i = 0; i < 5; i++) await search('desert planet');
      // Scoped keys of three parents: three labels, none of which counts.
      for (const parent of keys) {
        const scoped = await ok(
          call('POST', '/api/keys/scoped', { parent: parent.id, filter: 'genre = "classic"', expires: '1h' }),
          201,
        );
        expect((await search('emma village', scoped.key)).total).toBe(1);
      }

      // The flush (50 ms) and the reload (100 ms) run on the server's timers, off the requests: a flush between
      // the searches above can make "dune desert" popular a reload before "desert planet", so both are awaited.
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const dune = (await suggest('dune'))[0];
        const desert = (await suggest('desert'))[0];
        if (dune?.source === 'popular' && desert?.source === 'popular') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    afterAll(async () => {
      await server?.stop();
      await setup.cleanup?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('merges the queries three principals searched with hits into the index suggestions', async () => {
      expect(await suggest('DUNE')).toEqual([
        { text: 'dune desert', source: 'popular' },
        { text: 'Dune', id: 'dune' },
        { text: 'Dune Messiah', id: 'dune-messiah' },
      ]);
      expect(await suggest('desert')).toEqual([{ text: 'desert planet', source: 'popular' }]);
    });

    it('offers no query that found nothing, nor one only scoped keys searched', async () => {
      expect(await suggest('xy')).toEqual([]);
      expect(await suggest('emma')).toEqual([{ text: 'Emma', id: 'emma' }]);
    });

    it('offers no popular query to a scoped key', async () => {
      const scoped = await ok(call('POST', '/api/keys/scoped', { parent: keys[0]!.id, expires: '1h' }), 201);
      expect(await suggest('dune', scoped.key)).toEqual([
        { text: 'Dune', id: 'dune' },
        { text: 'Dune Messiah', id: 'dune-messiah' },
      ]);
    });
  });
}
