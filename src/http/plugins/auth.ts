import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  anonymousPrincipal,
  authorize,
  carriesCredential,
  credentialFrom,
  type Authenticator,
} from '../../auth/authenticator.js';
import type { Principal } from '../../auth/principal.js';
import type { Config } from '../../config/config.js';
import { isSiftError, SiftError } from '../../errors.js';
import { checkDeclaredScope, routeScope } from '../route-scope.js';

/** The Cache-Control of every answer to a request that carried a credential. */
export const PRIVATE_ANSWER = 'private, no-store';

function indexOf(request: FastifyRequest, config: Config): string | null {
  const params = request.params as { index?: unknown } | undefined;
  if (params && typeof params.index === 'string') return params.index;
  return request.routeOptions.config?.usesDefaultIndex ? config.DEFAULT_INDEX : null;
}

/** RFC 6750: 401 says how to authenticate; 403 names the missing scope. Descriptions never carry secrets. */
function challenge(reply: FastifyReply, err: unknown): void {
  if (!isSiftError(err)) return;
  const quoted = err.message.replace(/["\\]/g, "'");
  if (err.status === 401) {
    reply.header(
      'www-authenticate',
      `Bearer realm="sift", error="invalid_token", error_description="${quoted}"`,
    );
  } else if (err.status === 403 && typeof err.details?.required_scope === 'string') {
    reply.header(
      'www-authenticate',
      `Bearer realm="sift", error="insufficient_scope", scope="${err.details.required_scope}"`,
    );
  }
}

/**
 * Authentication and authorization in one onRequest hook, before the rate limiter (which keys on the principal)
 * and before any body is read, from what the matched route declares in its options (`config.scope`, and whether
 * it applies a scoped key's filter or searches DEFAULT_INDEX). Public routes (health, docs, OpenAPI, metrics
 * unless AUTH_PROTECT_METRICS) and unknown routes (404) skip it. Every other request gets `request.principal`, or a 401/403.
 */
export function installAuth(app: FastifyInstance, config: Config, auth: Authenticator): void {
  app.decorateRequest('principal', null as unknown as Principal);
  // An answer to a credentialed request may hold what only that principal may see (a scoped key's filter, an
  // index other keys cannot read), and a shared cache in front (the shipped nginx, a CDN) keys by URL alone.
  // `private` keeps shared caches off it; `no-store` keeps browsers and local proxies from writing it to disk,
  // where it would outlive a revoked key. Set on send, so it covers errors and overrides a route's own value.
  app.addHook('onSend', async (request, reply, payload) => {
    if (carriesCredential(request.headers)) reply.header('cache-control', PRIVATE_ANSWER);
    return payload;
  });
  // Routes are registered after this: each one's options say what it needs (route-scope.ts).
  app.addHook('onRoute', checkDeclaredScope);
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    const scope = route === '/metrics' && config.AUTH_PROTECT_METRICS ? 'admin' : routeScope(request);
    if (scope === null) {
      request.principal = anonymousPrincipal(config, request.ip);
      return;
    }
    try {
      const credential = credentialFrom(request.headers);
      if (credential === null) {
        request.principal = anonymousPrincipal(config, request.ip);
        // Plain missing credentials get the bare challenge, with no error attribute (RFC 6750 section 3.1).
        if (!request.principal.scopes.has(scope)) reply.header('www-authenticate', 'Bearer realm="sift"');
      } else {
        request.principal = await auth.authenticate(credential);
      }
      if (request.principal.filter && !request.routeOptions.config?.appliesKeyFilter) {
        throw new SiftError('FORBIDDEN', 'a scoped key with a filter may only search and suggest');
      }
      authorize(request.principal, scope, indexOf(request, config));
    } catch (err) {
      if (!reply.hasHeader('www-authenticate')) challenge(reply, err);
      throw err;
    }
  });
}
