import { SingleBar } from 'cli-progress';
import { formatNumber } from './format.js';

/** How `sift import` shows its progress on stderr. */
export interface ImportProgress {
  /** Bytes of the input read so far (compressed bytes for gzip). */
  read(bytes: number): void;
  /** Documents processed so far (indexed or refused). */
  processed(docs: number): void;
  /** Documents that are durable so far: a crash from now on keeps them. */
  committed(docs: number): void;
  /** Ends the display; `complete` when the whole input was read, so the bar shows 100%. */
  stop(complete: boolean): void;
}

export interface ProgressOptions {
  /** Size of the input on disk, when known. */
  totalBytes: number | null;
  /** Bytes already read before the display started (the format sniffing reads the start of the input). */
  bytesRead: number;
  /** Machine-readable lines (one JSON object each) instead of text when stderr is not a terminal. */
  json: boolean;
  now?: () => number;
}

/** A plain line at most this often when stderr is not a terminal (a log file, CI). */
const PLAIN_EVERY_MS = 2000;

/**
 * A bar on a terminal; elsewhere plain lines that a log can keep: text every couple of seconds, or with --json
 * one JSON object per batch and per commit; and a last line at the end.
 */
export function importProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, opts: ProgressOptions) {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const total = opts.totalBytes !== null && opts.totalBytes > 0 ? opts.totalBytes : null;
  let bytes = opts.bytesRead;
  let docs = 0;
  let durable = 0;
  const rate = () => Math.round(docs / Math.max((now() - started) / 1000, 1e-3));
  const percent = () => (total ? Math.min(100, Math.floor((bytes / total) * 100)) : null);
  return stream.isTTY ? bar(stream, total) : lines();

  function bar(out: NodeJS.WritableStream, size: number | null): ImportProgress {
    const b = new SingleBar({
      stream: out,
      format: size
        ? '{bar} {percentage}% | {docs} docs | {rate} docs/s | ETA {eta_formatted}'
        : '{docs} docs | {rate} docs/s | {duration_formatted}',
      barsize: 30,
      hideCursor: true,
      fps: 10,
      etaBuffer: 50,
    });
    const payload = () => ({ docs: formatNumber(docs), rate: formatNumber(rate()) });
    b.start(size ?? 1, size ? Math.min(bytes, size) : 0, payload());
    return {
      read(n) {
        bytes = n;
        if (size) b.update(Math.min(bytes, size), payload());
      },
      processed(n) {
        docs = n;
        b.update(payload());
      },
      committed(n) {
        durable = n;
      },
      stop(complete) {
        // The bytes may all have been read before the bar started (a small file is read by the sniffing):
        // the end of the input is 100%, whatever the last byte count said.
        b.update(complete ? (size ?? 1) : size ? Math.min(bytes, size) : 0, payload());
        b.stop();
      },
    };
  }

  function lines(): ImportProgress {
    let last = started;
    const write = (final: boolean) => {
      last = now();
      const pct = final ? 100 : percent();
      if (opts.json) {
        const line = { processed: docs, committed: durable, docs_per_second: rate(), percent: pct };
        stream.write(JSON.stringify({ progress: line }) + '\n');
      } else {
        stream.write(
          `${formatNumber(docs)} docs, ${formatNumber(durable)} committed, ${formatNumber(rate())} docs/s` +
            (pct !== null ? `, ${pct}%` : '') +
            '\n',
        );
      }
    };
    const maybe = () => {
      if (now() - last >= PLAIN_EVERY_MS) write(false);
    };
    return {
      read(n) {
        bytes = n;
      },
      // In JSON every batch and every commit is reported: a program reading the stream knows at any moment
      // what has been processed and what survives a crash.
      processed(n) {
        docs = n;
        if (opts.json) write(false);
        else maybe();
      },
      committed(n) {
        durable = n;
        if (opts.json) write(false);
        else maybe();
      },
      stop(complete) {
        write(complete);
      },
    };
  }
}
