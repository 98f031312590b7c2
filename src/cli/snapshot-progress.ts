import { SingleBar } from 'cli-progress';
import type { SnapshotProgress } from '../engines/snapshots.js';
import { formatNumber } from './format.js';

/** A plain line at most this often when stderr is not a terminal (a log file, CI). */
const PLAIN_EVERY_MS = 2000;

const UNIT: Record<string, string> = {
  copy: 'pages',
  verify: 'bytes',
  swap: 'steps',
  shards: 'shards',
  drop: 'indexes',
  restore: 'steps',
};

/**
 * How `sift snapshot create|restore` shows progress on stderr: a bar per phase on a terminal; elsewhere a plain
 * line (with `json` a JSON object) every couple of seconds and at each phase's end.
 */
export function snapshotProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  opts: { json: boolean; now?: () => number },
): { update(p: SnapshotProgress): void; stop(): void } {
  const now = opts.now ?? (() => performance.now());
  let phase: string | null = null;
  if (stream.isTTY) {
    let bar: SingleBar | null = null;
    return {
      update(p) {
        if (p.phase !== phase) {
          bar?.stop();
          phase = p.phase;
          bar = new SingleBar({
            stream,
            format: `${p.phase.padEnd(6)} {bar} {percentage}% | {value}/{total} ${UNIT[p.phase] ?? ''}`,
            barsize: 30,
            hideCursor: true,
            fps: 10,
          });
          bar.start(Math.max(p.total, 1), 0);
        }
        bar!.setTotal(Math.max(p.total, 1));
        bar!.update(Math.min(p.done, Math.max(p.total, 1)));
      },
      stop() {
        bar?.stop();
      },
    };
  }
  let last = -Infinity;
  let latest: SnapshotProgress | null = null;
  let written: SnapshotProgress | null = null;
  const write = (p: SnapshotProgress) => {
    last = now();
    written = p;
    const percent = p.total > 0 ? Math.min(100, Math.floor((p.done / p.total) * 100)) : 100;
    if (opts.json) stream.write(JSON.stringify({ progress: { ...p, percent } }) + '\n');
    else
      stream.write(
        `${p.phase}: ${formatNumber(p.done)} of ${formatNumber(p.total)} ${UNIT[p.phase] ?? ''} (${percent}%)\n`,
      );
  };
  return {
    update(p) {
      if (latest && latest !== written && p.phase !== latest.phase) write(latest);
      latest = p;
      if (now() - last >= PLAIN_EVERY_MS || p.done >= p.total) write(p);
    },
    stop() {
      if (latest && latest !== written) write(latest);
    },
  };
}
