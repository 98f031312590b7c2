import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  errors,
  importSPKI,
  importX509,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { Config } from '../config/config.js';
import { SiftError } from '../errors.js';
import { checkIndexName } from '../schema/index-name.js';
import { isScope, type Principal, type Scope } from './principal.js';

type JwtSettings = Pick<
  Config,
  'JWT_ALGORITHM' | 'JWT_SECRET' | 'JWT_PUBLIC_KEY_FILE' | 'JWT_JWKS_FILE' | 'JWT_ISSUER' | 'JWT_AUDIENCE'
>;

const unauthorized = (message: string) => new SiftError('UNAUTHORIZED', message);

/** Scopes from the `scope` claim (space-separated, RFC 8693) or a `scopes` array; unknown values are ignored. */
function scopesOf(payload: JWTPayload): Set<Scope> {
  const raw = payload.scope ?? payload.scopes;
  const list = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : [];
  return new Set(list.filter((s): s is Scope => typeof s === 'string' && isScope(s)));
}

function indexesOf(payload: JWTPayload): string[] | null {
  const raw = payload.indexes;
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw) || !raw.every((i) => typeof i === 'string'))
    throw unauthorized('the token\'s "indexes" claim must be an array of index names');
  try {
    return raw.map((i: string) => checkIndexName(i));
  } catch {
    throw unauthorized('the token\'s "indexes" claim names an invalid index');
  }
}

/** A readable 401 for each way a token fails; never echoes the token. */
function explain(err: unknown, algorithm: string): SiftError {
  if (err instanceof errors.JWTExpired) return new SiftError('CREDENTIALS_EXPIRED', 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return unauthorized(`the token lacks the required "${err.claim}" claim`);
    return unauthorized(`the token's "${err.claim}" claim is not accepted (${err.reason})`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return unauthorized(`the token's algorithm is not accepted; this server accepts ${algorithm} only`);
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return unauthorized('the token signature is invalid');
  if (err instanceof errors.JWKSNoMatchingKey) return unauthorized('no configured key matches the token');
  return unauthorized('the token is malformed');
}

/**
 * Verifies bearer JWTs: one pinned algorithm (HS256 with JWT_SECRET, or RS256 with a PEM public key or a JWKS
 * file), `exp` required, `iss`/`aud` checked when configured. Pinning the algorithm is what defeats `alg: none`
 * and the RS256-public-key-as-HMAC-secret confusion: a token is only ever checked the configured way.
 */
export class JwtVerifier {
  private constructor(
    private readonly settings: JwtSettings,
    private readonly key: Uint8Array | CryptoKey | JWTVerifyGetKey,
  ) {}

  static async create(settings: JwtSettings): Promise<JwtVerifier> {
    if (settings.JWT_ALGORITHM === 'HS256')
      return new JwtVerifier(settings, new TextEncoder().encode(settings.JWT_SECRET));
    if (settings.JWT_JWKS_FILE) {
      const jwks = JSON.parse(readFileSync(settings.JWT_JWKS_FILE, 'utf8')) as Parameters<
        typeof createLocalJWKSet
      >[0];
      return new JwtVerifier(settings, createLocalJWKSet(jwks));
    }
    const pem = readFileSync(settings.JWT_PUBLIC_KEY_FILE, 'utf8');
    const key = pem.includes('BEGIN CERTIFICATE')
      ? await importX509(pem, 'RS256')
      : await importSPKI(pem, 'RS256');
    return new JwtVerifier(settings, key);
  }

  async authenticate(token: string): Promise<Principal> {
    const { JWT_ALGORITHM: alg, JWT_ISSUER: issuer, JWT_AUDIENCE: audience } = this.settings;
    const options = {
      algorithms: [alg],
      requiredClaims: ['exp'],
      ...(issuer ? { issuer } : {}),
      ...(audience ? { audience } : {}),
    };
    let payload: JWTPayload;
    try {
      payload =
        typeof this.key === 'function'
          ? (await jwtVerify(token, this.key, options)).payload
          : (await jwtVerify(token, this.key, options)).payload;
    } catch (err) {
      throw explain(err, alg);
    }
    const sub = typeof payload.sub === 'string' && payload.sub ? payload.sub.slice(0, 200) : 'unknown';
    return {
      id: `jwt:${sub}`,
      kind: 'jwt',
      scopes: scopesOf(payload),
      indexes: indexesOf(payload),
      expiresAt: (payload.exp ?? 0) * 1000,
    };
  }
}

export interface MintOptions {
  scopes: Scope[];
  hours: number;
  subject: string;
  indexes?: string[] | null;
}

/** An HS256 token signed with JWT_SECRET, for operators (`sift token create`). */
export async function mintToken(settings: JwtSettings, opts: MintOptions): Promise<string> {
  if (settings.JWT_ALGORITHM !== 'HS256')
    throw new SiftError(
      'INVALID_REQUEST',
      'JWT_ALGORITHM is RS256: tokens are minted by the identity provider that holds the private key',
    );
  const jwt = new SignJWT({
    scope: opts.scopes.join(' '),
    ...(opts.indexes ? { indexes: opts.indexes } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(opts.subject)
    .setIssuedAt()
    .setExpirationTime(`${opts.hours}h`);
  if (settings.JWT_ISSUER) jwt.setIssuer(settings.JWT_ISSUER);
  if (settings.JWT_AUDIENCE) jwt.setAudience(settings.JWT_AUDIENCE);
  return jwt.sign(new TextEncoder().encode(settings.JWT_SECRET));
}
