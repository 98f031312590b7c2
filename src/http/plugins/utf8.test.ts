import { describe, expect, it } from 'vitest';
import { SiftError } from '../../errors.js';
import { decodeUtf8Body, firstInvalidUtf8 } from './utf8.js';
import { charsetOf } from './request-checks.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('UTF-8 body decoding', () => {
  it('finds the first byte that breaks UTF-8, as a strict decoder sees it', () => {
    const cases: [Buffer, number][] = [
      [bytes('plain ascii'), -1],
      [bytes('é ü 日本 😀'), -1],
      [bytes('ab', [0xff]), 2],
      [bytes('a', [0xc0, 0xaf]), 1], // overlong "/"
      [bytes('a', [0xe0, 0x80, 0xaf]), 1], // overlong, three bytes
      [bytes('x', [0xed, 0xa0, 0x80]), 1], // a UTF-16 surrogate
      [bytes([0xf4, 0x90, 0x80, 0x80]), 0], // past U+10FFFF
      [bytes('ok', [0xe6, 0x97]), 2], // truncated at the end
      [bytes('ok', [0x80]), 2], // a lone continuation byte
    ];
    for (const [input, offset] of cases) {
      expect(firstInvalidUtf8(input), input.toString('hex')).toBe(offset);
      let strictOk = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(input);
      } catch {
        strictOk = false;
      }
      expect(strictOk, input.toString('hex')).toBe(offset === -1);
    }
  });

  it('decodes valid bodies and refuses invalid ones with offset and line', () => {
    expect(decodeUtf8Body(bytes('{"q": "日本"}'))).toBe('{"q": "日本"}');
    try {
      decodeUtf8Body(bytes('{"a": 1}\n{"b": "', [0xff], '"}'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SiftError);
      expect((err as SiftError).code).toBe('INVALID_ENCODING');
      expect((err as SiftError).details).toEqual({ offset: 16, line: 2 });
    }
  });

  it('reads the charset parameter of a Content-Type', () => {
    expect(charsetOf('application/json')).toBeUndefined();
    expect(charsetOf(undefined)).toBeUndefined();
    expect(charsetOf('application/json; charset=UTF-8')).toBe('utf-8');
    expect(charsetOf('application/x-ndjson;charset="utf-16"; x=y')).toBe('utf-16');
    expect(charsetOf('application/json; foo=bar; CHARSET = latin1')).toBe('latin1');
  });
});
