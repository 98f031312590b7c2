import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.js';
import { SiftError } from '../../errors.js';
import { DEFAULT_INDEX_PLACEHOLDER, PAGE_FILES, PAGES, pageAssets, type PageAsset } from '../page-assets.js';

/**
 * The pages' own policy, stricter than the one every response carries (which lets /docs use inline styles):
 * only this origin's script and stylesheet, requests only to this origin, no inline script or style, no frames,
 * no plugins, no form posts.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Served under /assets/: everything but the HTML, which each page serves at its own route. */
const ASSET_NAMES = new Set(Object.keys(PAGE_FILES).filter((f) => !f.endsWith('.html')));

const escapeAttribute = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function send(request: FastifyRequest, reply: FastifyReply, asset: PageAsset, body: Buffer | string) {
  reply
    .header('content-security-policy', PAGE_CSP)
    .header('content-type', asset.type)
    // Revalidated on every load (a new build changes the ETag), answered 304 when unchanged.
    .header('cache-control', 'no-cache')
    .header('etag', asset.etag);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.send(body);
}

/**
 * Each page at its route (`GET /` the search page, `GET /analytics` the analytics page) and `/assets/*` their
 * scripts and stylesheets: public and static, like /docs. The pages call the public API with the caller's own
 * credentials, so serving them grants nothing.
 */
export async function pageRoutes(app: FastifyInstance, { config }: { config: Config }): Promise<void> {
  for (const page of PAGES) {
    // The HTML carries the default index (the page's index when its URL names none); it differs per configuration
    // while the file does not, so it is substituted once, here.
    let html: { asset: PageAsset; body: string } | undefined;
    app.get(page.route, { schema: { hide: true } }, async (request, reply) => {
      if (!html) {
        const asset = (await pageAssets()).get(`${page.name}.html`)!;
        const body = asset.body
          .toString('utf8')
          .replaceAll(DEFAULT_INDEX_PLACEHOLDER, escapeAttribute(config.DEFAULT_INDEX));
        html = { asset: { ...asset, etag: `"${asset.etag.slice(1, -1)}-${config.DEFAULT_INDEX}"` }, body };
      }
      return send(request, reply, html.asset, html.body);
    });
  }
  app.get<{ Params: { name: string } }>(
    '/assets/:name',
    { schema: { hide: true } },
    async (request, reply) => {
      const name = request.params.name;
      if (!ASSET_NAMES.has(name)) throw new SiftError('NOT_FOUND', `no asset ${name}`);
      const asset = (await pageAssets()).get(name)!;
      return send(request, reply, asset, asset.body);
    },
  );
}
