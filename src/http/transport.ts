import { randomUUID } from 'node:crypto';
import {
  maxHeaderSize,
  STATUS_CODES,
  type IncomingMessage,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { SiftError } from '../errors.js';

/**
 * What Node's HTTP server refuses by itself, below Fastify's routing: header overflow, slow clients, malformed
 * HTTP. Node and Fastify answer those with their own bodies (or none); Sift answers them in its envelope.
 */

/** Request ids by raw request, so a refusal written on the socket carries the id Fastify gave the request. */
const ids = new WeakMap<IncomingMessage, string>();

/** Wraps the request id generator so the id of a request still being received can be found again. */
export function rememberingIds(gen: (req: IncomingMessage) => string): (req: IncomingMessage) => string {
  return (req) => {
    const id = gen(req);
    ids.set(req, id);
    return id;
  };
}

/** How often Node looks for requests past their deadline: the cut lands at most this long after the timeout. */
export function connectionsCheckingInterval(requestTimeoutMs: number): number {
  return Math.min(250, Math.max(10, Math.ceil(requestTimeoutMs / 4)));
}

/**
 * The server's timeouts, all from the configuration. REQUEST_TIMEOUT_MS bounds both the headers and the whole
 * request (headers and body) from its first byte; Node only checks deadlines every connectionsCheckingInterval
 * (30 s by default, which is how 30 s became 42 s and 72 s), so it is checked often enough to cut within a quarter of a
 * second. Once the request is received, the handler's time is bounded by ENGINE_TIMEOUT_MS, not here; an idle
 * keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS (Node adds one second of grace).
 * connectionTimeout (socket inactivity) stays off: it would drop a request whose handler is still working with
 * no answer at all, which the timeouts above never do.
 */
export function serverTimeouts(config: Config): {
  connectionTimeout: number;
  keepAliveTimeout: number;
  requestTimeout: number;
  http: ServerOptions;
} {
  return {
    connectionTimeout: 0,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: config.REQUEST_TIMEOUT_MS,
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: connectionsCheckingInterval(config.REQUEST_TIMEOUT_MS),
      // Node answers a missing Host with a bare 400 of its own; the onRequest check answers it in the envelope.
      requireHostHeader: false,
    },
  };
}

const POST_HINT =
  'send long queries and filters as a JSON body with POST /api/search or POST /api/indexes/{index}/search';

/**
 * Is the overflow one long request line (a search with a huge filter in its URL)? The parser hands over the
 * chunk it was reading: a line that starts with a method and runs past 4 KB, or a chunk with no line end at all
 * (the middle of one long line, which in practice is the URL), says yes.
 */
function longRequestLine(err: ConnectionError): boolean {
  const raw: unknown = err.rawPacket;
  if (!Buffer.isBuffer(raw)) return false;
  const head = raw.subarray(0, 8192).toString('latin1');
  const eol = head.indexOf('\r\n');
  if (eol === -1) return true;
  return /^[A-Z]+ /.test(head) && eol > 4096;
}

/** The HTTP parser's own explanation (llhttp's reason), if any. */
const reasonOf = (err: ConnectionError): string => {
  const reason = (err as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason.slice(0, 200) : '';
};

/** A refusal for an error Node's HTTP parser or its timers raised. Null: nothing to answer (reset sockets). */
export function refusalFor(err: ConnectionError, config: Config, headerLimit: number): SiftError | null {
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return null;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new SiftError(
        'REQUEST_TIMEOUT',
        `the request (headers and body) was not received within REQUEST_TIMEOUT_MS (${config.REQUEST_TIMEOUT_MS} ms)`,
        { timeout_ms: config.REQUEST_TIMEOUT_MS },
      );
    case 'HPE_HEADER_OVERFLOW':
      return new SiftError(
        'HEADERS_TOO_LARGE',
        longRequestLine(err)
          ? `the URL is too long (the request line and headers may hold ${headerLimit} bytes); ${POST_HINT}`
          : `the request line and headers are larger than ${headerLimit} bytes; ${POST_HINT}`,
        { limit_bytes: headerLimit },
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new SiftError('PAYLOAD_TOO_LARGE', 'the chunk extensions of the body are too large');
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      // llhttp reports Content-Length with Transfer-Encoding as an invalid Transfer-Encoding; its reason says so.
      if (/content-length/i.test(reasonOf(err)) && /transfer-encoding/i.test(reasonOf(err)))
        return new SiftError(
          'INVALID_HTTP',
          'Content-Length and Transfer-Encoding must not be sent together (RFC 9112 section 6.3)',
        );
      return err.code === 'HPE_UNEXPECTED_CONTENT_LENGTH'
        ? new SiftError('INVALID_HTTP', 'Content-Length must be sent once')
        : new SiftError(
            'INVALID_HTTP',
            'the Transfer-Encoding header is not valid; only chunked is accepted',
          );
    case 'HPE_INVALID_CONTENT_LENGTH':
      return new SiftError('INVALID_HTTP', 'the Content-Length header is not a valid length');
    case 'HPE_INVALID_METHOD':
      return new SiftError('INVALID_HTTP', 'the request method is not a valid HTTP method');
    case 'HPE_INVALID_URL':
      return new SiftError('INVALID_HTTP', 'the request target is not a valid URL path');
    case 'HPE_INVALID_HEADER_TOKEN':
      return new SiftError('INVALID_HTTP', 'a header name or value contains a character HTTP does not allow');
    case 'HPE_INVALID_CHUNK_SIZE':
      return new SiftError('INVALID_HTTP', 'a chunk of the chunked body has an invalid size line');
  }
  const reason = reasonOf(err);
  return new SiftError('INVALID_HTTP', `the request is not valid HTTP/1.1${reason ? ` (${reason})` : ''}`, {
    parser_code: err.code,
  });
}

/** The bytes of a complete response carrying `error`, for a socket that no ServerResponse will answer. */
export function rawResponse(error: SiftError, requestId: string): Buffer {
  const body = JSON.stringify(error.toBody());
  return Buffer.from(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'cache-control: no-store\r\n' +
      'x-content-type-options: nosniff\r\n' +
      `x-request-id: ${requestId}\r\n` +
      'connection: close\r\n\r\n' +
      body,
    'utf8',
  );
}

/** Writes the refusal, then closes once it is flushed (or after a second if the client does not read). */
function answerAndClose(socket: Socket, bytes: Buffer): void {
  const timer = setTimeout(() => socket.destroy(), 1000).unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(bytes, () => socket.destroy());
}

/**
 * Fastify's clientErrorHandler: Node raised an error on a connection (parse error, header overflow, request
 * timeout). Answers in the envelope unless a response has already started on that socket, then closes it.
 */
export function clientErrorHandler(config: Config) {
  return function onClientError(this: FastifyInstance, err: ConnectionError, socket: Socket): void {
    if (socket.destroyed) return;
    const refusal = refusalFor(err, config, maxHeaderSize);
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!refusal || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const requestId = (inFlight?.req && ids.get(inFlight.req)) || randomUUID();
    this.log.info(
      { reqId: requestId, code: refusal.code, parser_code: err.code },
      `connection refused before routing: ${refusal.message}`,
    );
    answerAndClose(socket, rawResponse(refusal, requestId));
  };
}

/**
 * Node answers `Expect:` values other than 100-continue with a bare 417 unless the server listens for
 * checkExpectation; this answers it in the envelope instead.
 */
export function answerFailedExpectation(
  app: FastifyInstance,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string = randomUUID(),
): void {
  const error = new SiftError(
    'EXPECTATION_FAILED',
    `Expect: ${String(req.headers.expect).slice(0, 100)} is not supported; only 100-continue is`,
  );
  app.log.info({ reqId: requestId, code: error.code }, 'request refused before routing');
  const body = JSON.stringify(error.toBody());
  res.writeHead(error.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    connection: 'close',
  });
  res.end(body);
}
