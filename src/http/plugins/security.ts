import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../../config/config.js';
import { SiftError } from '../../errors.js';

/**
 * Security headers on every response and CORS for the configured origins only (CORS_ORIGINS: development allows
 * the usual local front-end ports; an empty list sends no CORS headers, so browsers on other origins cannot read
 * answers).
 *
 * Two sets, chosen by path before routing. Documents (the pages, /docs, anything not known to be an answer) get
 * helmet's full set with a CSP strict enough for an API that still lets /docs (Swagger UI, served from this
 * origin) run: its scripts and styles are same-origin files, its inline styles and data: images need the two
 * relaxations below. Answers of the API, health and metrics (JSON or text, never rendered) get the set that
 * protects a response which is not a document: no sniffing, no framing, no loading anything, no referrer, HSTS,
 * same-origin resource policy. Helmet's remaining headers (opener policy, agent cluster, DNS prefetch, download
 * options, cross-domain policies, the XSS auditor switch) only mean something for a rendered page, and on a
 * cached search they were a third of the bytes and most of the header parsing on both ends.
 */
export async function registerSecurity(app: FastifyInstance, config: Config): Promise<void> {
  const documentHeaders = await (derived ??= helmetHeaders());
  // Plain hook (no promise): it runs on every request, hits of the response cache included.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(isAnswerPath(request.url) ? API_HEADERS : documentHeaders);
    done();
  });
  if (config.CORS_ORIGINS.length === 0) return;
  // @fastify/cors's strict preflight check answers text/plain; this one answers in the envelope, before it.
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'OPTIONS') return;
    const missing = ['Origin', 'Access-Control-Request-Method'].filter(
      (h) => !request.headers[h.toLowerCase()],
    );
    if (missing.length > 0) {
      throw new SiftError(
        'INVALID_REQUEST',
        `a CORS preflight (OPTIONS) needs the ${missing.join(' and ')} header${missing.length > 1 ? 's' : ''}`,
        { missing_headers: missing },
      );
    }
  });
  await app.register(cors, {
    strictPreflight: false,
    origin: [...config.CORS_ORIGINS],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'x-request-id'],
    exposedHeaders: [
      'x-request-id',
      'x-cache',
      'retry-after',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
    ],
    maxAge: 600,
  });
}

/** The headers of an answer that is never rendered (see registerSecurity). */
export const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

/** Paths whose answers are data, never a page: the API, health and metrics. Anything else is a document. */
export function isAnswerPath(url: string): boolean {
  return ANSWER_PATH.test(url);
}
const ANSWER_PATH = /^\/(?:api\/|health(?:[/?]|$)|metrics(?:\?|$)|openapi\.json(?:\?|$))/;

let derived: Promise<Record<string, string>> | undefined;

/** Headers of a bare response that are not helmet's. */
const NOT_HELMET = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * The headers helmet sets, derived once: they are the same on every response (no per-route options, no CSP
 * nonces), so helmet's per-request hooks and middleware chain would re-derive a constant. Asked of the real
 * plugin, with these options, on a throwaway instance, so the set follows helmet's own defaults.
 */
async function helmetHeaders(): Promise<Record<string, string>> {
  const probe = Fastify({ logger: false });
  await probe.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
  });
  probe.get('/', async () => '');
  const res = await probe.inject({ method: 'GET', url: '/' });
  await probe.close();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers))
    if (!NOT_HELMET.has(name) && typeof value === 'string') headers[name] = value;
  return headers;
}
