import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.js';
import { startAuthServer } from './auth-server.js';

const doc = { title: 'x' };

describe('who may do what without credentials, per environment and setting (real server)', () => {
  it('development is open unless AUTH_REQUIRED=true; a presented credential is still verified', async () => {
    const dev = await startAuthServer({ ENVIRONMENT: 'development' });
    try {
      expect((await dev.call('GET', '/api/search?q=dune')).status).toBe(200);
      expect((await dev.call('PUT', '/api/indexes/books/documents/x', { body: doc })).status).toBe(201);
      expect((await dev.call('GET', '/api/keys')).status).toBe(200);
      expect((await dev.call('GET', '/api/search', { credential: 'sk_bad' })).status).toBe(401);
    } finally {
      await dev.close();
    }
    const strict = await startAuthServer({ ENVIRONMENT: 'development', AUTH_REQUIRED: 'true' });
    try {
      expect((await strict.call('GET', '/api/search?q=dune')).status).toBe(200);
      const write = await strict.call('PUT', '/api/indexes/books/documents/x', { body: doc });
      expect(write.status).toBe(401);
      expect(write.body.error.message).toContain('"write" scope');
    } finally {
      await strict.close();
    }
  });

  it('staging with AUTH_PUBLIC_READS=true serves anonymous searches but not writes or admin', async () => {
    const s = await startAuthServer({ AUTH_PUBLIC_READS: 'true' });
    try {
      expect((await s.call('GET', '/api/search?q=dune')).status).toBe(200);
      expect((await s.call('GET', '/api/indexes/books/suggest?q=du')).status).toBe(200);
      expect((await s.call('PUT', '/api/indexes/books/documents/x', { body: doc })).status).toBe(401);
      expect((await s.call('GET', '/api/indexes')).status).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('AUTH_PROTECT_METRICS puts /metrics behind an admin credential', async () => {
    const s = await startAuthServer({ AUTH_PROTECT_METRICS: 'true', METRICS_ENABLED: 'true' });
    try {
      expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
      const { key } = await s.key(['admin']);
      const res = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('configuration refuses open auth outside development and incomplete RS256 settings', () => {
    const load = (env: Record<string, string>) => () =>
      loadConfig({ JWT_SECRET: 'a-long-enough-secret-for-tests', ...env }, '/nonexistent/.env');
    expect(load({ ENVIRONMENT: 'production', AUTH_REQUIRED: 'false' })).toThrow(ConfigError);
    expect(load({ ENVIRONMENT: 'staging', AUTH_REQUIRED: 'false' })).toThrow(/AUTH_REQUIRED/);
    expect(load({ JWT_ALGORITHM: 'RS256' })).toThrow(/JWT_PUBLIC_KEY_FILE or JWT_JWKS_FILE/);
    expect(load({ JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY_FILE: '/no/such.pem' })).toThrow(/file not found/);
    expect(load({ JWT_ALGORITHM: 'ES256' })).toThrow(/JWT_ALGORITHM/);
    expect(load({ ENVIRONMENT: 'production' })().AUTH_PUBLIC_READS).toBe(false);
    expect(load({ ENVIRONMENT: 'development' })().AUTH_REQUIRED).toBe(false);
  });
});
