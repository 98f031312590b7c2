import Table from 'cli-table3';

/** Small presentation helpers shared by the CLI commands. Nothing here touches the service or the engine. */

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorEnabled(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  const noColor = env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

export interface Colors {
  enabled: boolean;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain = (s: string) => s;

export function colors(stream: Stream): Colors {
  const on = colorEnabled(stream);
  return {
    enabled: on,
    red: on ? sgr(31, 39) : plain,
    green: on ? sgr(32, 39) : plain,
    yellow: on ? sgr(33, 39) : plain,
    cyan: on ? sgr(36, 39) : plain,
    bold: on ? sgr(1, 22) : plain,
    dim: on ? sgr(2, 22) : plain,
  };
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 -> "1.5 KB"; null (unknown) -> "-". Powers of 1024. */
export function humanBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

const grouping = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** 1234567.891 -> "1,234,567.89". */
export function formatNumber(n: number, maxFractionDigits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  return maxFractionDigits === 2
    ? grouping.format(n)
    : new Intl.NumberFormat('en-US', { maximumFractionDigits: maxFractionDigits }).format(n);
}

/** Seconds as "850 ms", "12.3 s" or "4m 05s". */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return `${m}m ${String(s).padStart(2, '0')}s`;
}

/** Collapses whitespace (newlines included) so a value fits one table line. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Shortens to at most `width` characters, ending with an ellipsis when cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  const chars = Array.from(s);
  if (chars.length <= width) return s;
  if (width === 1) return '…';
  return chars.slice(0, width - 1).join('') + '…';
}

/** Any value as short display text. */
export function displayValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return oneLine(v);
  if (typeof v === 'number') return formatNumber(v);
  if (Array.isArray(v)) return v.map(displayValue).join(', ');
  if (typeof v === 'object') return oneLine(JSON.stringify(v));
  return String(v);
}

/** The width to lay tables out in: the terminal's, else $COLUMNS, else 120. */
export function terminalWidth(stream: Stream, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns && stream.columns > 20) return stream.columns;
  const fromEnv = Number(env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 20 ? fromEnv : 120;
}

/**
 * Column widths (including cli-table3's one-space padding each side) that fit `maxWidth` overall, shrinking the
 * widest columns first and never going below `minWidth` for a column.
 */
export function fitWidths(natural: number[], maxWidth: number, minWidth = 6): number[] {
  const widths = natural.map((w) => Math.max(w, 3));
  const borders = widths.length + 1;
  let excess = widths.reduce((a, b) => a + b, 0) + borders - maxWidth;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (widths[i]! > minWidth && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest < 0) break;
    widths[widest]!--;
    excess--;
  }
  return widths;
}

export interface TableOptions {
  stream: Stream;
  /** Lay the table out to fit this width (default: the terminal width). */
  maxWidth?: number;
  /** Right-align these columns (numbers). */
  alignRight?: number[];
}

/** A cli-table3 table, fitted to the terminal, with colours only when colour is enabled. */
export function renderTable(head: string[], rows: string[][], opts: TableOptions): string {
  const color = colorEnabled(opts.stream);
  const natural = head.map(
    (h, i) => Math.max(Array.from(h).length, ...rows.map((r) => Array.from(r[i] ?? '').length)) + 2,
  );
  const colWidths = fitWidths(natural, opts.maxWidth ?? terminalWidth(opts.stream));
  const table = new Table({
    head,
    colWidths,
    colAligns: head.map((_, i) => (opts.alignRight?.includes(i) ? 'right' : 'left')),
    wordWrap: false,
    truncate: '…',
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
  });
  for (const row of rows) table.push(row);
  return table.toString();
}
