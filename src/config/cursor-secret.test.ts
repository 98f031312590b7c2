import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const load = (env: Record<string, string>) => () => loadConfig(env, '/nonexistent/.env');
const STRONG = 'a-production-jwt-secret-of-some-length';
const dir = mkdtempSync(join(tmpdir(), 'sift-cursor-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cursor secrets in the configuration', () => {
  it('accepts an empty or a 32+ character CURSOR_SECRET and refuses a short one', () => {
    expect(load({})().CURSOR_SECRET).toBe('');
    expect(load({ CURSOR_SECRET: 'x'.repeat(32) })().CURSOR_SECRET).toBe('x'.repeat(32));
    expect(load({ CURSOR_SECRET: 'short' })).toThrow(
      /CURSOR_SECRET: must be empty or at least 32 characters/,
    );
  });

  it('reads CURSOR_SECRET_PREVIOUS as a list of secrets and refuses short ones', () => {
    const cfg = load({ CURSOR_SECRET_PREVIOUS: `${'a'.repeat(16)}, ${'b'.repeat(40)}` })();
    expect(cfg.CURSOR_SECRET_PREVIOUS).toEqual(['a'.repeat(16), 'b'.repeat(40)]);
    expect(Object.isFrozen(cfg.CURSOR_SECRET_PREVIOUS)).toBe(true);
    expect(load({ CURSOR_SECRET_PREVIOUS: 'tiny' })).toThrow(/CURSOR_SECRET_PREVIOUS/);
  });

  it('refuses production without a cursor key that is not public', () => {
    // Only the file's existence is checked when the configuration loads.
    const pem = join(dir, 'public.pem');
    writeFileSync(pem, '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n');
    const rs256 = { ENVIRONMENT: 'production', JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY_FILE: pem };
    expect(load(rs256)).toThrow(ConfigError);
    expect(load(rs256)).toThrow(/CURSOR_SECRET: production needs a key for cursors/);
    expect(load({ ...rs256, CURSOR_SECRET: 'c'.repeat(32) })().CURSOR_SECRET).toBe('c'.repeat(32));
    expect(load({ ENVIRONMENT: 'production', JWT_SECRET: STRONG })().CURSOR_SECRET).toBe('');
  });
});
