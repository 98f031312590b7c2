import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.js';
import { DOCS, INDEX, SCHEMA, testConfig } from './app.js';
import { tempDir } from './temp-dir.js';

/**
 * Registers, in the calling describe, hooks that start one real listening server on a data directory of its
 * own (configured by `env` over the test defaults) with the `books` index holding DOCS, and stop it afterwards.
 * Returns the server: usable inside tests and hooks that run after the start (reading it earlier throws).
 */
export function seededServer(prefix: string, env: Record<string, string> = {}): RunningServer {
  const dataDir = tempDir(prefix).path;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer(testConfig(dataDir, env), { handleSignals: false });
    await server.service.putIndex(INDEX, SCHEMA);
    await server.service.importDocuments(INDEX, DOCS);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return new Proxy({} as RunningServer, {
    get(_target, key) {
      if (!server) throw new Error('the seeded server is not started');
      return Reflect.get(server, key) as unknown;
    },
  });
}
