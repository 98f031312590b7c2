import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the ten slowest test files, with their wall time, at the end of every run (next to the default reporter),
 * so the files that bound the suite's wall time are in every CI log. A file's time is its whole life in its
 * worker: environment, setup files, import and collection, then every hook and test.
 */

export interface FileTime {
  readonly file: string;
  readonly ms: number;
}

export const SHOWN = 10;

/** The `n` longest entries, longest first (ties by name, so the list is stable). */
export function slowest(files: readonly FileTime[], n = SHOWN): FileTime[] {
  return [...files].sort((a, b) => b.ms - a.ms || a.file.localeCompare(b.file)).slice(0, n);
}

/** 812 ms, 41.3 s, 13 min 32 s. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const s = Math.round(ms / 1_000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

export function formatSlowest(files: readonly FileTime[], n = SHOWN): string {
  const top = slowest(files, n);
  if (top.length === 0) return '';
  const times = top.map((f) => formatDuration(f.ms));
  const width = Math.max(...times.map((t) => t.length));
  const lines = top.map((f, i) => `  ${times[i]!.padStart(width)}  ${f.file}`);
  return [`Slowest test files (${top.length} of ${files.length}):`, ...lines].join('\n');
}

function fileTime(m: TestModule): FileTime {
  const d = m.diagnostic();
  const ms =
    d.environmentSetupDuration + d.prepareDuration + d.setupDuration + d.collectDuration + d.duration;
  return { file: m.relativeModuleId, ms };
}

export default class SlowestFilesReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const text = formatSlowest(modules.map(fileTime));
    if (text) process.stdout.write(`\n${text}\n`);
  }
}
