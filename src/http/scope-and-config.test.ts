import { describe, expect, it } from 'vitest';
import { cacheNamespace } from '../cache/namespace.js';
import { ConfigError, loadConfig } from '../config/config.js';

const load = (env: Record<string, string>) => loadConfig(env, '/nonexistent/.env');

describe('hardening settings', () => {
  it('has per-environment cache lifetimes and rate limits', () => {
    expect(load({ ENVIRONMENT: 'development' }).CACHE_TTL_SECONDS).toBe(5);
    expect(load({ ENVIRONMENT: 'staging' }).CACHE_TTL_SECONDS).toBe(30);
    const prod = load({ ENVIRONMENT: 'production', JWT_SECRET: 'a-production-secret-of-some-length' });
    expect(prod.CACHE_TTL_SECONDS).toBe(60);
    expect(prod.RATE_LIMIT_SEARCH_PER_MINUTE).toBe(1200);
    expect(load({ ENVIRONMENT: 'development' }).RATE_LIMIT_SEARCH_PER_MINUTE).toBe(6000);
    expect(load({ CACHE_TTL_SECONDS: '0' }).CACHE_TTL_SECONDS).toBe(0);
  });

  it('parses trusted proxies as a list and refuses bad values by name', () => {
    expect(load({ TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1' }).TRUSTED_PROXIES).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(() => load({ MAX_FACETS: '0', ENGINE_TIMEOUT_MS: 'soon', RATE_LIMIT_ENABLED: 'maybe' })).toThrow(
      ConfigError,
    );
    let problems = '';
    try {
      load({ MAX_FACETS: '0', ENGINE_TIMEOUT_MS: 'soon', CACHE_NAMESPACE: 'a b' });
    } catch (err) {
      problems = (err as ConfigError).problems.join('\n');
    }
    expect(problems).toMatch(/MAX_FACETS/);
    expect(problems).toMatch(/ENGINE_TIMEOUT_MS/);
    expect(problems).toMatch(/CACHE_NAMESPACE/);
  });

  it('derives a cache namespace from the data the engine serves', () => {
    const a = cacheNamespace(load({ DATA_DIR: '/srv/a' }));
    expect(a).toMatch(/^sift:[0-9a-f]{16}:$/);
    expect(cacheNamespace(load({ DATA_DIR: '/srv/a/' }))).toBe(a);
    expect(cacheNamespace(load({ DATA_DIR: '/srv/b' }))).not.toBe(a);
    expect(cacheNamespace(load({ CACHE_NAMESPACE: 'shop' }))).toBe('shop:');
  });
});
