import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_SECRET, startAuthServer, type AuthServer } from './auth-server.js';

const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function hs256(
  claims: JWTPayload,
  secret = STRONG_SECRET,
  exp: number | null = now() + 600,
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(enc(secret));
}

describe('JWT bearer tokens, HS256 with issuer and audience (real server)', () => {
  let s: AuthServer;
  beforeAll(async () => {
    s = await startAuthServer({ JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'sift' });
  });
  afterAll(async () => s?.close());
  const good = { iss: 'https://id.example', aud: 'sift', sub: 'alice' };
  const search = (credential: string) => s.call('GET', '/api/indexes/books/search?q=dune', { credential });

  it('accepts a valid token with the scope claim', async () => {
    const res = await search(await hs256({ ...good, scope: 'search write' }));
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
  });

  it('refuses a token lacking the scope (403) or naming other indexes (403)', async () => {
    const readOnly = await hs256({ ...good, scope: 'search' });
    const put = await s.call('PUT', '/api/indexes/books/documents/x', {
      credential: readOnly,
      body: { title: 'x' },
    });
    expect(put.status).toBe(403);
    expect(put.body.error.message).toContain('"write" scope');
    const limited = await hs256({ ...good, scope: 'search', indexes: ['other'] });
    expect((await search(limited)).status).toBe(403);
    expect((await s.call('GET', '/api/indexes/other/search', { credential: limited })).status).toBe(200);
  });

  it('refuses alg none, missing exp, expiry, bad signature, wrong iss and wrong aud with 401', async () => {
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...good, scope: 'admin', exp: now() + 600 })}.`;
    const cases: [string, string, string][] = [
      ['alg none', none, 'UNAUTHORIZED'],
      ['missing exp', await hs256({ ...good, scope: 'search' }, STRONG_SECRET, null), 'UNAUTHORIZED'],
      [
        'expired',
        await hs256({ ...good, scope: 'search' }, STRONG_SECRET, now() - 60),
        'CREDENTIALS_EXPIRED',
      ],
      [
        'bad signature',
        await hs256({ ...good, scope: 'search' }, 'another-secret-of-enough-length'),
        'UNAUTHORIZED',
      ],
      ['wrong iss', await hs256({ ...good, iss: 'https://evil.example', scope: 'search' }), 'UNAUTHORIZED'],
      ['wrong aud', await hs256({ ...good, aud: 'other-service', scope: 'search' }), 'UNAUTHORIZED'],
      ['no iss', await hs256({ aud: 'sift', scope: 'search' }), 'UNAUTHORIZED'],
    ];
    for (const [name, token, code] of cases) {
      const res = await search(token);
      expect(res.status, name).toBe(401);
      expect(res.body.error.code, name).toBe(code);
      expect(res.headers.get('www-authenticate'), name).toContain('Bearer');
      expect(JSON.stringify(res.body), name).not.toContain(token);
    }
    const missing = await search(cases[1]![1]);
    expect(missing.body.error.message).toContain('"exp"');
  });
});

describe('JWT bearer tokens, RS256 (real server)', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let s: AuthServer;
  let jwks: AuthServer;
  const rs256 = (claims: JWTPayload, kid?: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) })
      .setExpirationTime(now() + 600)
      .sign(privateKey);

  beforeAll(async () => {
    const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'sift-jwt-'));
    const pemFile = join(dir, 'public.pem');
    writeFileSync(pemFile, pem);
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(
      jwksFile,
      JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] }),
    );
    s = await startAuthServer({ JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY_FILE: pemFile });
    jwks = await startAuthServer({ JWT_ALGORITHM: 'RS256', JWT_JWKS_FILE: jwksFile });
  });
  afterAll(async () => {
    await s?.close();
    await jwks?.close();
  });

  it('accepts RS256 tokens from the PEM public key and from a JWKS file (by kid)', async () => {
    expect(
      (await s.call('GET', '/api/search', { credential: await rs256({ scope: 'search' }) })).status,
    ).toBe(200);
    const viaJwks = await jwks.call('GET', '/api/search', {
      credential: await rs256({ scope: 'search' }, 'k1'),
    });
    expect(viaJwks.status).toBe(200);
    const unknownKid = await jwks.call('GET', '/api/search', {
      credential: await rs256({ scope: 'search' }, 'k2'),
    });
    expect(unknownKid.status).toBe(401);
  });

  it('refuses HS256 tokens, including the public-key-as-HMAC-secret confusion attack', async () => {
    const withSecret = await hs256({ scope: 'admin' });
    const confusion = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now() + 600)
      .sign(enc(pem));
    for (const token of [withSecret, confusion]) {
      for (const server of [s, jwks]) {
        const res = await server.call('GET', '/api/search', { credential: token });
        expect(res.status).toBe(401);
        expect(res.body.error.message).toContain('RS256 only');
      }
    }
  });
});
