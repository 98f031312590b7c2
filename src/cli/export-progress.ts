import { SingleBar } from 'cli-progress';
import { formatNumber } from './format.js';

/** How `sift export` shows its progress on stderr. */
export interface ExportProgress {
  /** The number of documents the export will hold, once the engine has counted them. */
  total(docs: number): void;
  /** Documents written so far. */
  written(docs: number): void;
  stop(): void;
}

/** A plain line at most this often when stderr is not a terminal (a log file, CI). */
const PLAIN_EVERY_MS = 2000;

/**
 * A bar on a terminal; elsewhere a plain line (or with `json` a JSON object) every couple of seconds and a
 * last one at the end, as `sift import` does.
 */
export function exportProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  opts: { json: boolean; now?: () => number },
): ExportProgress {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  let docs = 0;
  let expected: number | null = null;
  const rate = () => Math.round(docs / Math.max((now() - started) / 1000, 1e-3));
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: '{bar} {percentage}% | {value}/{total} docs | {rate} docs/s | ETA {eta_formatted}',
      barsize: 30,
      hideCursor: true,
      fps: 10,
      etaBuffer: 50,
    });
    let started = false;
    return {
      total(n) {
        expected = n;
        bar.start(Math.max(n, 1), 0, { rate: '0' });
        started = true;
      },
      written(n) {
        docs = n;
        if (started) bar.update(Math.min(n, expected ?? n), { rate: formatNumber(rate()) });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = started;
  const write = () => {
    last = now();
    const pct = expected ? Math.min(100, Math.floor((docs / expected) * 100)) : null;
    if (opts.json) {
      const line = { exported: docs, total: expected, docs_per_second: rate(), percent: pct };
      stream.write(JSON.stringify({ progress: line }) + '\n');
    } else {
      stream.write(
        `${formatNumber(docs)}${expected !== null ? ` of ${formatNumber(expected)}` : ''} docs, ` +
          `${formatNumber(rate())} docs/s${pct !== null ? `, ${pct}%` : ''}\n`,
      );
    }
  };
  return {
    total(n) {
      expected = n;
    },
    written(n) {
      docs = n;
      if (now() - last >= PLAIN_EVERY_MS) write();
    },
    stop: write,
  };
}
