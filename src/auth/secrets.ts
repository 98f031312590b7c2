import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The secret material of API keys. A key is `sk_<id>_<secret>`: the id is public (it names the stored record and
 * shows in listings and logs), the secret is 32 random bytes shown once at creation. Only two digests of the
 * secret are stored: `sha256(secret)` to verify the key, and an HMAC-derived signing key for scoped keys, so a
 * copy of the key store never yields a usable API key.
 */
export const API_KEY_PREFIX = 'sk_';
const API_KEY = /^sk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  id: string;
  secret: string;
}

export function newApiKey(): { id: string; secret: string; key: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `${API_KEY_PREFIX}${id}_${secret}` };
}

export function parseApiKey(key: string): ParsedApiKey | null {
  const m = API_KEY.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** The key that signs scoped keys of a parent: derived, so it differs from the verification hash. */
export const scopedSigningKey = (secret: string): string =>
  createHmac('sha256', secret).update('sift scoped key v1').digest('hex');

/** Equality of two hex digests in time that does not depend on where they differ. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
