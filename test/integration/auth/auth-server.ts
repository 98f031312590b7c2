import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { buildApp, limitsFromConfig } from '../../../src/app.js';
import { ApiKeys } from '../../../src/auth/api-keys.js';
import { EngineKeyStore } from '../../../src/auth/key-store.js';
import { buildEngineStack } from '../../../src/service/engine-stack.js';
import type { Scope } from '../../../src/auth/principal.js';
import { createEngine } from '../../../src/engines/create.js';
import { SearchService } from '../../../src/service/search-service.js';
import { DOCS, INDEX, SCHEMA, testConfig } from '../../support/app.js';
import { tempDir } from '../../support/temp-dir.js';

export const STRONG_SECRET = 'a-test-secret-that-is-long-enough-0123456789';

export interface AuthServer {
  url: string;
  dataDir: string;
  /** Keys written straight to the store the server reads (as another process would). */
  keys: ApiKeys;
  /** A fetch against the server with an optional bearer credential. */
  call(
    method: string,
    path: string,
    opts?: { credential?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  key(
    scopes: Scope[],
    opts?: { indexes?: string[]; expiresAt?: number },
  ): Promise<{ key: string; id: string }>;
  close(): Promise<void>;
}

/**
 * A real listening server (staging unless told otherwise: credentials required, no public reads) over a fresh
 * data directory holding `books` and a second index `other`.
 */
export async function startAuthServer(env: Record<string, string> = {}): Promise<AuthServer> {
  const dataDir = tempDir('sift-auth-').path;
  const config = testConfig(dataDir, {
    ENVIRONMENT: 'staging',
    JWT_SECRET: STRONG_SECRET,
    RATE_LIMIT_ENABLED: 'false',
    CACHE_TTL_SECONDS: '0',
    ...env,
  });
  const engine = await createEngine(config);
  await engine.open();
  // As the server builds it: with CACHE_TTL_SECONDS > 0, answers are cached and writes invalidate them.
  const stack = buildEngineStack(config, engine, null);
  const service = new SearchService(stack.engine, limitsFromConfig(config));
  await service.putIndex(INDEX, SCHEMA);
  await service.importDocuments(INDEX, DOCS);
  await service.putIndex('other', SCHEMA);
  await service.importDocuments('other', DOCS.slice(0, 2));
  const app = await buildApp({ config, service, logger: false, cache: stack.store });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const keys = new ApiKeys(new EngineKeyStore(engine), 0);
  return {
    url,
    dataDir,
    keys,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.credential) headers.authorization = `Bearer ${opts.credential}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(url + path, {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
    },
    async key(scopes, opts = {}) {
      const { key, view } = await keys.create({
        name: `test ${scopes.join(' ')}`,
        scopes,
        indexes: opts.indexes ?? null,
        expiresAt: opts.expiresAt ?? null,
      });
      return { key, id: view.id };
    },
    async close() {
      await app.close();
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
