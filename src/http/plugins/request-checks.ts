import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SiftError } from '../../errors.js';

const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined ||
  (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');

const CHARSET = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;

/** The charset parameter of a Content-Type, lower-cased; undefined when there is none. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const m = contentType ? CHARSET.exec(contentType) : null;
  return m ? (m[1] ?? m[2] ?? '').toLowerCase() : undefined;
}

/**
 * Checks made before a body is read, so that what the parsers see is what they can decode:
 * - an HTTP/1.1 request must name its Host (Node's own refusal would be a bare 400; this one is in the envelope);
 * - a body must not be compressed: Content-Encoding other than identity is 415 (decompressing would need its own
 *   bound on the inflated size; clients can simply send the body as is);
 * - a body must be UTF-8: a charset other than utf-8 is 415 (JSON is UTF-8 by definition, RFC 8259).
 */
export function registerRequestChecks(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (request.raw.httpVersion === '1.1' && !request.headers.host) {
      throw new SiftError('INVALID_HTTP', 'an HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)');
    }
  });
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!hasBody(request)) return payload;
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new SiftError(
        'UNSUPPORTED_CONTENT_ENCODING',
        `Content-Encoding "${encoding.slice(0, 50)}" is not accepted; send the body uncompressed`,
        { accepted: ['identity'] },
      );
    }
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw new SiftError(
        'UNSUPPORTED_CHARSET',
        `charset "${charset.slice(0, 50)}" is not accepted; send the body as UTF-8`,
        { accepted: ['utf-8'] },
      );
    }
    return payload;
  });
}
