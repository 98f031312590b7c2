import type { Filter } from '../query/types.js';
import type { Restriction } from '../query/restriction.js';

/** What a credential may do: search/suggest, write documents, manage indexes and keys. */
export const SCOPES = ['search', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);

/**
 * Who made a request, as the auth plugin established it in its onRequest hook. Rate limiting keys on `id`;
 * routes read `indexes` (an allowlist, null = every index) and `filter` (ANDed into every search of a scoped
 * key, so it holds on any engine).
 */
export interface Principal {
  /** Stable and secret-free: `key:<key id>`, `jwt:<sub>`, `scoped:<parent key id>`, `anonymous:<ip>`. */
  id: string;
  kind: 'key' | 'jwt' | 'scoped' | 'anonymous';
  scopes: ReadonlySet<Scope>;
  /** Index allowlist; null allows every (non-system) index. */
  indexes: readonly string[] | null;
  /** A filter every search of this principal is restricted to (scoped keys). */
  filter?: Filter;
  /** Epoch milliseconds after which the credential stops working, when it has an expiry. */
  expiresAt?: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin before any handler runs; anonymous when no credential was sent. */
    principal: Principal;
  }
}

/** The restriction a principal's searches and suggestions run under: its scoped key's filter, if any. */
export const restrictionOf = (principal: Principal | undefined): Restriction | undefined =>
  principal?.filter ? { filter: principal.filter } : undefined;
