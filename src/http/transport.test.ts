import type { ConnectionError } from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { connectionsCheckingInterval, rawResponse, refusalFor, serverTimeouts } from './transport.js';

const config = loadConfig({ ENVIRONMENT: 'development', REQUEST_TIMEOUT_MS: '30000' }, '/nonexistent/.env');
const parserError = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(code), { code, bytesParsed: 0, ...extra }) as unknown as ConnectionError;

describe('transport settings and refusals', () => {
  it('takes every server timeout from REQUEST_TIMEOUT_MS and KEEP_ALIVE_TIMEOUT_MS', () => {
    const t = serverTimeouts(config);
    expect(t.requestTimeout).toBe(30_000);
    expect(t.http.headersTimeout).toBe(30_000);
    expect(t.http.requestTimeout).toBe(30_000);
    expect(t.http.keepAliveTimeout).toBe(config.KEEP_ALIVE_TIMEOUT_MS);
    expect(t.keepAliveTimeout).toBe(config.KEEP_ALIVE_TIMEOUT_MS);
    // Deadlines are checked often enough to cut within a quarter second, and never more often than needed.
    expect(connectionsCheckingInterval(30_000)).toBe(250);
    expect(connectionsCheckingInterval(100)).toBe(25);
  });

  it('maps the parser errors to catalogue codes', () => {
    const map = (code: string, extra?: Record<string, unknown>) =>
      refusalFor(parserError(code, extra), config, 16384);
    expect(map('ECONNRESET')).toBeNull();
    expect(map('ERR_HTTP_REQUEST_TIMEOUT')?.code).toBe('REQUEST_TIMEOUT');
    expect(
      map('HPE_INVALID_TRANSFER_ENCODING', {
        reason: "Transfer-Encoding can't be present with Content-Length",
      })?.message,
    ).toMatch(/Content-Length and Transfer-Encoding/);
    expect(map('HPE_SOMETHING_NEW', { reason: 'Odd' })).toMatchObject({
      code: 'INVALID_HTTP',
      message: 'the request is not valid HTTP/1.1 (Odd)',
    });
    const longUrl = map('HPE_HEADER_OVERFLOW', {
      rawPacket: Buffer.from(`GET /api/search?q=${'x'.repeat(9000)}`),
    });
    expect(longUrl).toMatchObject({ code: 'HEADERS_TOO_LARGE', status: 431 });
    expect(longUrl?.message).toMatch(/URL is too long.*POST/);
    const bigHeaders = map('HPE_HEADER_OVERFLOW', {
      rawPacket: Buffer.from(`GET / HTTP/1.1\r\nX-A: ${'x'.repeat(9000)}`),
    });
    expect(bigHeaders?.message).toMatch(/headers are larger than 16384 bytes/);
  });

  it('writes a complete HTTP response with an exact length', () => {
    const refusal = refusalFor(parserError('ERR_HTTP_REQUEST_TIMEOUT'), config, 16384)!;
    const text = rawResponse(refusal, 'id-1').toString('utf8');
    const [head, body] = text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(head).toContain('x-request-id: id-1');
    expect(head).toContain('connection: close');
    expect(head).toContain(`content-length: ${Buffer.byteLength(body!)}`);
    expect(JSON.parse(body!)).toEqual(refusal.toBody());
  });
});
