import cliProgress from 'cli-progress';
import type { RolloutEvent, RolloutResult } from '../../rollout/strategies/context.js';
import type { Measurement } from '../../rollout/types.js';

/**
 * How a release looks while it runs. On a terminal: a live bar of ready instances under the current phase, with
 * every change and measurement printed above it. Otherwise (CI logs, pipes): one timestamped line per event.
 * With --json, events stay off stdout (the result document goes there) and are written to stderr as plain lines.
 */
export interface ReleaseView {
  report(event: RolloutEvent): void;
  close(): void;
}

const describe = (m: Measurement): string =>
  `${m.ok ? 'pass' : 'FAIL'} ${m.name} = ${m.value ?? 'n/a'} (want ${m.threshold})${m.detail ? ` ${m.detail}` : ''}`;

export function lineOf(event: RolloutEvent): string {
  switch (event.type) {
    case 'phase':
      return `- ${event.message}`;
    case 'action':
      return `  changed: ${event.message}`;
    case 'progress': {
      const t = event.track;
      return `  ${t.color}: ${t.ready}/${t.desired} ready, ${t.updated} updated, ${t.total} total (${t.image ?? 'no image'})`;
    }
    case 'measurement':
      return `  ${event.color} ${describe(event.measurement)}`;
    case 'warning':
      return `  warning: ${event.message}`;
  }
}

export function plainView(out: NodeJS.WritableStream): ReleaseView {
  let lastProgress = '';
  return {
    report(event) {
      const line = lineOf(event);
      // Readiness is reported on every watch event; a log needs only the changes.
      if (event.type === 'progress') {
        if (line === lastProgress) return;
        lastProgress = line;
      }
      out.write(`${new Date().toISOString()} ${line}\n`);
    },
    close() {},
  };
}

export function liveView(out: NodeJS.WriteStream): ReleaseView {
  const bars = new cliProgress.MultiBar(
    {
      stream: out,
      format: ' {phase} [{bar}] {value}/{total} ready',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(1, 0, { phase: 'starting' });
  let phase = 'starting';
  return {
    report(event) {
      if (event.type === 'phase') {
        phase = event.message;
        bar.update({ phase });
        bars.log(`${lineOf(event)}\n`);
      } else if (event.type === 'progress') {
        bar.setTotal(Math.max(1, event.track.desired));
        bar.update(event.track.ready, { phase });
      } else {
        bars.log(`${lineOf(event)}\n`);
      }
    },
    close() {
      bars.stop();
    },
  };
}

export function summaryLines(result: RolloutResult): string[] {
  const lines = [
    `${result.strategy}: ${result.outcome}${result.dryRun ? ' (dry run: nothing was changed)' : ''}`,
  ];
  if (result.reason) lines.push(`reason: ${result.reason}`);
  if (result.actions.length > 0) {
    lines.push('what was done:');
    for (const a of result.actions) lines.push(`  ${a}`);
  }
  const failed = result.measurements.filter((m) => !m.ok);
  if (failed.length > 0) {
    lines.push('failed checks:');
    for (const m of failed) lines.push(`  ${describe(m)}`);
  }
  if (result.record)
    lines.push(`release ${result.record.id}: ${result.record.phase}, ${result.record.message}`);
  return lines;
}
