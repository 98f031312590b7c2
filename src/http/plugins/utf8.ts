import { SiftError } from '../../errors.js';

const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or -1. Only used to say where a refused body goes wrong.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) need = 2;
    else if (b >= 0xf0 && b <= 0xf4) need = 3;
    else return i;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    min = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    if (b === 0xed) max = 0x9f;
    if (b === 0xf4) max = 0x8f;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < min || c > max) return i;
      min = 0x80;
      max = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Decodes a request body as UTF-8, refusing it (400 INVALID_ENCODING) instead of replacing bad bytes with U+FFFD,
 * which would store or search something the client never sent. A leading byte order mark is dropped.
 */
export function decodeUtf8Body(body: Buffer): string {
  try {
    return strict.decode(body);
  } catch {
    const offset = firstInvalidUtf8(body);
    let line = 1;
    for (let i = body.indexOf(0x0a); i !== -1 && i < offset; i = body.indexOf(0x0a, i + 1)) line++;
    throw new SiftError(
      'INVALID_ENCODING',
      `the body is not valid UTF-8 (byte offset ${offset}, line ${line}); send UTF-8`,
      { offset, line },
    );
  }
}
