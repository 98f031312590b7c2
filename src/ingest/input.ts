import { createReadStream, fstatSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SiftError } from '../errors.js';

/**
 * Import input: bytes from a file or stdin, gunzipped when they are gzip, and the format they hold (from the
 * caller, the file name, or the first significant byte).
 */

export const FORMATS = ['json', 'ndjson', 'csv'] as const;
export type ImportFormat = (typeof FORMATS)[number];

/**
 * Thrown by a reader when the input cannot be read any further (broken CSV quoting, a truncated gzip stream or
 * JSON array); everything yielded before it stands.
 */
export class InputStoppedError extends Error {
  constructor(
    readonly line: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'InputStoppedError';
  }
}

/** Format from a file name, ignoring a trailing .gz: .json, .ndjson/.jsonl, .csv; undefined when unknown. */
export function formatFromPath(path: string): ImportFormat | undefined {
  const base = path.toLowerCase().replace(/\.gz$/, '');
  switch (extname(base)) {
    case '.json':
      return 'json';
    case '.ndjson':
    case '.jsonl':
      return 'ndjson';
    case '.csv':
      return 'csv';
    default:
      return undefined;
  }
}

const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** The first byte that is neither whitespace nor part of a UTF-8 byte order mark, or undefined. */
export function firstSignificantByte(head: Buffer): number | undefined {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && isSpace(head[i]!)) i++;
  return head[i];
}

/** Guesses the format from the first significant byte: "[" a JSON array, "{" NDJSON, anything else CSV. */
export function sniffFormat(head: Buffer): ImportFormat {
  const b = firstSignificantByte(head);
  if (b === 0x5b) return 'json';
  if (b === 0x7b) return 'ndjson';
  return 'csv';
}

/** An async byte stream whose beginning can be looked at before it is consumed. */
class PeekableBytes implements AsyncIterable<Buffer> {
  private readonly head: Buffer[] = [];
  private ended = false;

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  static of(source: AsyncIterable<Buffer>): PeekableBytes {
    return new PeekableBytes(source[Symbol.asyncIterator]());
  }

  /** Reads chunks until `enough(head)` or the end, and returns everything read so far (still unconsumed). */
  async peek(enough: (head: Buffer) => boolean): Promise<Buffer> {
    let head = Buffer.concat(this.head);
    while (!this.ended && !enough(head)) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      this.head.push(r.value);
      head = Buffer.concat(this.head);
    }
    return head;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    while (this.head.length) yield this.head.shift()!;
    if (this.ended) return;
    for (;;) {
      const r = await this.it.next();
      if (r.done) return;
      yield r.value;
    }
  }
}

async function* countBytes(stream: Readable, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    onBytes(buf.length);
    yield buf;
  }
}

/** Pipes bytes through a transform and iterates its output; errors on either side surface in the iteration. */
export function through(
  source: AsyncIterable<Buffer>,
  transform: NodeJS.ReadWriteStream & Readable,
): AsyncIterable<Buffer> {
  pipeline(Readable.from(source, { objectMode: false }), transform, () => {
    // Errors reach the consumer through the transform's iterator; nothing to do here.
  });
  return transform as AsyncIterable<Buffer>;
}

/** Gunzipped bytes; a corrupt or truncated stream stops the input where it broke (what came before is kept). */
async function* gunzipped(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    // Large output chunks: each chunk is a round trip to the thread pool, and small ones leave the loader idle.
    yield* through(source, createGunzip({ chunkSize: 256 * 1024 }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new InputStoppedError(
        undefined,
        `the gzip input is corrupt or truncated: ${(err as Error).message}`,
      );
    }
    throw err;
  }
}

export interface OpenedInput {
  bytes: AsyncIterable<Buffer>;
  format: ImportFormat;
  gzip: boolean;
  /** Size of the file on disk (compressed size for gzip), when known. */
  totalBytes: number | null;
}

/**
 * Opens a file (or stdin for "-"), gunzips it when it starts with the gzip magic bytes (a `.gz` file or piped
 * gzip), and settles the format: --format, else the file extension, else the first significant byte.
 */
export async function openInput(
  source: string,
  format: ImportFormat | undefined,
  onBytes: (n: number) => void,
): Promise<OpenedInput> {
  let stream: Readable;
  let totalBytes: number | null = null;
  if (source === '-') {
    stream = process.stdin;
    try {
      const st = fstatSync(0);
      if (st.isFile()) totalBytes = st.size; // `sift import - < file`
    } catch {
      // not a file descriptor we can stat; the size stays unknown
    }
  } else {
    const st = statSync(source); // throws ENOENT with the path in the message
    if (!st.isFile()) throw new SiftError('INVALID_REQUEST', `"${source}" is not a file`);
    totalBytes = st.size;
    // Reads of 256 KB: few enough round trips, and the progress (bytes read) stays close to what was processed.
    stream = createReadStream(source, { highWaterMark: 256 * 1024 });
  }
  let bytes = PeekableBytes.of(countBytes(stream, onBytes));
  const magic = await bytes.peek((h) => h.length >= 2);
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  if (gzip) bytes = PeekableBytes.of(gunzipped(bytes));
  let chosen = format ?? (source === '-' ? undefined : formatFromPath(source));
  if (!chosen) {
    const head = await bytes.peek((h) => firstSignificantByte(h) !== undefined);
    chosen = sniffFormat(head);
  }
  return { bytes, format: chosen, gzip, totalBytes };
}
