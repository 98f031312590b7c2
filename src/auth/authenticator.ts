import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config/config.js';
import { SiftError } from '../errors.js';
import { ApiKeys } from './api-keys.js';
import { JwtVerifier } from './jwt.js';
import type { KeyStore } from './key-store.js';
import { SCOPES, type Principal, type Scope } from './principal.js';
import { API_KEY_PREFIX } from './secrets.js';
import { SCOPED_KEY_PREFIX, ScopedKeys } from './scoped-keys.js';

const MAX_CREDENTIAL = 16_384;

/**
 * The credential of a request: `Authorization: Bearer <credential>` or `X-API-Key: <credential>`. Another
 * Authorization scheme is refused rather than ignored, so a misconfigured client learns why it is anonymous.
 */
export function credentialFrom(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  if (auth !== undefined && auth !== '') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (!m)
      throw new SiftError('UNAUTHORIZED', 'the Authorization header must be "Bearer <API key or token>"');
    return checkLength(m[1]!);
  }
  const key = headers['x-api-key'];
  if (typeof key === 'string' && key !== '') return checkLength(key.trim());
  return null;
}

/**
 * Whether a request carries a credential in any of the places credentialFrom reads (even an empty or malformed
 * one): such an answer may depend on who asked, so no shared cache may keep it. Sift reads no credential from
 * the query string or from cookies.
 */
export function carriesCredential(headers: IncomingHttpHeaders): boolean {
  return headers.authorization !== undefined || headers['x-api-key'] !== undefined;
}

function checkLength(credential: string): string {
  if (credential.length > MAX_CREDENTIAL) throw new SiftError('UNAUTHORIZED', 'the credential is too long');
  return credential;
}

/** Turns a presented credential into a principal: API key, scoped key or JWT, told apart by their form. */
export class Authenticator {
  private constructor(
    readonly keys: ApiKeys,
    readonly scoped: ScopedKeys,
    readonly jwt: JwtVerifier,
  ) {}

  static async create(config: Config, store: KeyStore): Promise<Authenticator> {
    const keys = new ApiKeys(store, config.AUTH_KEY_CACHE_SECONDS);
    return new Authenticator(keys, new ScopedKeys(keys), await JwtVerifier.create(config));
  }

  async authenticate(credential: string): Promise<Principal> {
    if (credential.startsWith(SCOPED_KEY_PREFIX)) return this.scoped.authenticate(credential);
    if (credential.startsWith(API_KEY_PREFIX)) return this.keys.authenticate(credential);
    if (credential.split('.').length === 3) return this.jwt.authenticate(credential);
    throw new SiftError('UNAUTHORIZED', 'the credential is neither an API key nor a JWT');
  }
}

/**
 * The principal of a request without a credential. In development with AUTH_REQUIRED=false it may do anything;
 * otherwise it may search when AUTH_PUBLIC_READS is on, and nothing else.
 */
export function anonymousPrincipal(
  config: Pick<Config, 'AUTH_REQUIRED' | 'AUTH_PUBLIC_READS'>,
  ip: string,
): Principal {
  const scopes: Scope[] = !config.AUTH_REQUIRED ? [...SCOPES] : config.AUTH_PUBLIC_READS ? ['search'] : [];
  return { id: `anonymous:${ip}`, kind: 'anonymous', scopes: new Set(scopes), indexes: null };
}

/**
 * Refuses a request its principal may not make: 401 when nobody authenticated (a credential would help), 403
 * when the credential lacks the scope or the index (another credential is needed).
 */
export function authorize(principal: Principal, scope: Scope, index: string | null): void {
  if (!principal.scopes.has(scope)) {
    if (principal.kind === 'anonymous')
      throw new SiftError('UNAUTHORIZED', `this request needs credentials with the "${scope}" scope`);
    throw new SiftError('FORBIDDEN', `the ${describe(principal)} lacks the "${scope}" scope`, {
      required_scope: scope,
    });
  }
  if (index !== null && principal.indexes !== null && !principal.indexes.includes(index)) {
    throw new SiftError('FORBIDDEN', `the ${describe(principal)} does not allow index "${index}"`, { index });
  }
}

const describe = (p: Principal): string =>
  p.kind === 'key' ? 'API key' : p.kind === 'scoped' ? 'scoped key' : p.kind === 'jwt' ? 'token' : 'request';
