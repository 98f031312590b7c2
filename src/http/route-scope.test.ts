import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { checkDeclaredScope } from './route-scope.js';

/** The guard on a real Fastify instance: routes are refused when they are registered, not when first called. */
function appWithGuard() {
  const app = Fastify();
  app.addHook('onRoute', checkDeclaredScope);
  return app;
}

describe('declared route scopes', () => {
  it('refuses an /api route without a scope, or with one that is not a scope', () => {
    const app = appWithGuard();
    expect(() => app.get('/api/new-thing', async () => 'x')).toThrow(
      /GET \/api\/new-thing must declare config.scope/,
    );
    expect(() => app.get('/api/other', { config: { scope: 'root' as never } }, async () => 'x')).toThrow(
      /must declare config.scope/,
    );
  });

  it('refuses a scope on a route outside /api, and takes declared ones', async () => {
    const app = appWithGuard();
    expect(() => app.get('/health/x', { config: { scope: 'admin' } }, async () => 'x')).toThrow(
      /outside \/api/,
    );
    app.get('/api/thing', { config: { scope: 'search' } }, async (req) => req.routeOptions.config.scope);
    app.get('/health/y', async () => 'ok');
    expect((await app.inject({ url: '/api/thing' })).body).toBe('search');
    await app.close();
  });
});
