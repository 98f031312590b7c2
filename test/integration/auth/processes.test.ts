import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sift, siftJson } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';
import { fixture } from '../../support/cli.js';
import { killQuietly, spawnServer, type Child } from '../../support/sift-process.js';
import { STRONG_SECRET } from './auth-server.js';

const CACHE_SECONDS = 1;
const env = (dir: string) => ({
  DATA_DIR: dir,
  ENVIRONMENT: 'staging',
  JWT_SECRET: STRONG_SECRET,
  AUTH_KEY_CACHE_SECONDS: String(CACHE_SECONDS),
  RATE_LIMIT_ENABLED: 'false',
  DEFAULT_INDEX: 'packages',
  LOG_LEVEL: 'warn',
});

interface KeyJson {
  id: string;
  key: string;
  name: string;
  status: string;
  scopes: string[];
}

// Each case runs the real CLI from source several times (TypeScript loading and every command's modules): seconds
// per run on a busy 2-core machine, so the cases get a longer bound than the suite's 30 s.
describe(
  'keys across real processes: the CLI and two servers sharing one database',
  { timeout: 120_000 },
  () => {
    const dir = tempDir('sift-auth-proc-');
    let a: Child | undefined;
    let b: Child | undefined;
    const cli = (args: string[]) =>
      sift(dir.path, args, { env: { ENVIRONMENT: 'staging', JWT_SECRET: STRONG_SECRET } });

    beforeAll(async () => {
      const imported = sift(dir.path, [
        'import',
        fixture('packages.ndjson'),
        '--index',
        'packages',
        '--schema',
        fixture('packages.schema.yaml'),
      ]);
      expect(imported.code, imported.stderr).toBe(0);
      [a, b] = await Promise.all([spawnServer(env(dir.path)), spawnServer(env(dir.path))]);
    }, 120_000);
    afterAll(async () => {
      killQuietly(a);
      killQuietly(b);
      dir.remove();
    });

    const call = async (server: Child, method: string, path: string, credential?: string, body?: unknown) => {
      const res = await fetch(server.url + path, {
        method,
        headers: {
          ...(credential ? { authorization: `Bearer ${credential}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };

    it('sift keys create / list / revoke work through the real CLI, and the servers honour them', async () => {
      const created = siftJson<KeyJson>(dir.path, [
        'keys',
        'create',
        '--name',
        'ops',
        '--scope',
        'admin,search',
        '--json',
      ]);
      expect(created.key).toMatch(/^sk_/);
      const human = cli(['keys', 'create', '--name', 'reader', '--scope', 'search', '--expires', '30d']);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toContain('shown only once');
      const readerKey = /(sk_[0-9a-f]{16}_\S{43})/.exec(human.stdout)![1]!;

      expect((await call(a!, 'GET', '/api/search?q=react', readerKey)).status).toBe(200);
      expect((await call(b!, 'GET', '/api/search?q=react', readerKey)).status).toBe(200);
      expect((await call(b!, 'GET', '/api/keys', created.key)).status).toBe(200);

      const table = cli(['keys', 'list']);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/ops\s.*search admin.*active/);
      expect(table.stdout).not.toContain(readerKey.slice(-43));
      const listed = siftJson<{ keys: KeyJson[] }>(dir.path, ['keys', 'list', '--json']).keys;
      const reader = listed.find((k) => k.name === 'reader')!;
      expect(JSON.stringify(listed)).not.toMatch(/hash|signing_key|"key"/);

      const revoked = cli(['keys', 'revoke', reader.id]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(
        siftJson<{ keys: KeyJson[] }>(dir.path, ['keys', 'list', '--json']).keys.find(
          (k) => k.id === reader.id,
        )!.status,
      ).toBe('revoked');
      // Both servers refuse it once their cache entry lapses (AUTH_KEY_CACHE_SECONDS); poll well beyond the bound.
      for (const server of [a!, b!]) {
        const deadline = Date.now() + CACHE_SECONDS * 1000 * 10;
        let status = 200;
        while (Date.now() < deadline && status !== 401) {
          status = (await call(server, 'GET', '/api/search?q=react', readerKey)).status;
          if (status !== 401) await new Promise((r) => setTimeout(r, 100));
        }
        expect(status).toBe(401);
      }
      expect(cli(['keys', 'revoke', 'ffffffffffffffff']).code).toBe(1);
    });

    it('a key created through one server is accepted by the other; revoked there, refused by the first', async () => {
      const admin = siftJson<KeyJson>(dir.path, [
        'keys',
        'create',
        '--name',
        'a',
        '--scope',
        'admin',
        '--json',
      ]).key;
      const made = await call(a!, 'POST', '/api/keys', admin, { name: 'shared', scopes: ['search'] });
      expect(made.status).toBe(201);
      expect((await call(b!, 'GET', '/api/search?q=react', made.body.key)).status).toBe(200);
      expect((await call(b!, 'DELETE', `/api/keys/${made.body.id}`, admin)).status).toBe(200);
      const deadline = Date.now() + CACHE_SECONDS * 1000 * 10;
      let status = 200;
      while (Date.now() < deadline && status !== 401) {
        status = (await call(a!, 'GET', '/api/search?q=react', made.body.key)).status;
        if (status !== 401) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(401);
    });

    it('sift keys scoped signs offline from the full parent key, and by id from the store', async () => {
      const parent = siftJson<KeyJson>(dir.path, [
        'keys',
        'create',
        '--name',
        'p',
        '--scope',
        'search',
        '--json',
      ]);
      const offline = siftJson<{ key: string }>(dir.path, [
        'keys',
        'scoped',
        '--parent',
        parent.key,
        '--filter',
        'scope = core',
        '--expires',
        '1h',
        '--json',
      ]);
      const res = await call(a!, 'GET', '/api/search?size=100', offline.key);
      expect(res.status).toBe(200);
      expect(res.body.total).toBeGreaterThan(0);
      expect(res.body.hits.every((h: { document: { scope?: string } }) => h.document.scope === 'core')).toBe(
        true,
      );
      const byId = siftJson<{ key: string }>(dir.path, [
        'keys',
        'scoped',
        '--parent',
        parent.id,
        '--expires',
        '2h',
        '--json',
      ]);
      expect((await call(b!, 'GET', '/api/search', byId.key)).status).toBe(200);
    });

    it('sift token create mints an HS256 token the servers accept', async () => {
      const r = cli(['token', 'create', '--scope', 'search', '--hours', '8']);
      expect(r.code, r.stderr).toBe(0);
      const token = r.stdout.trim();
      const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(STRONG_SECRET));
      expect(protectedHeader.alg).toBe('HS256');
      expect(payload.scope).toBe('search');
      expect(payload.exp! - payload.iat!).toBe(8 * 3600);
      expect((await call(a!, 'GET', '/api/search?q=react', token)).status).toBe(200);
      expect((await call(a!, 'PUT', '/api/indexes/x', token, { fields: {} })).status).toBe(403);
      expect(cli(['token', 'create', '--scope', 'root']).code).toBe(1);
    });
  },
);
