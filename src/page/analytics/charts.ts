/**
 * The analytics page's chart geometry: plain numbers for SVG (viewBox units), computed here without the DOM so
 * that every position is tested; draw.ts turns them into elements. Values are never negative (counts, times).
 */

/** An axis from 0 to a round maximum, with round ticks (steps of 1, 2 or 5 times a power of ten). */
export interface Scale {
  readonly max: number;
  readonly ticks: readonly number[];
}

/** `integers`: the values are counts, so no tick falls between two whole numbers. */
export function niceScale(largest: number, tickCount = 4, integers = false): Scale {
  if (!(largest > 0) || !Number.isFinite(largest)) return { max: 1, ticks: [0, 1] };
  const raw = largest / tickCount;
  const power = 10 ** Math.floor(Math.log10(raw));
  const nice = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const step = integers ? Math.max(1, nice) : nice;
  const steps = Math.ceil(largest / step - 1e-9);
  // Rounded so that 0.1 + 0.2 shows as 0.3.
  const ticks = Array.from({ length: steps + 1 }, (_, i) => Number((i * step).toPrecision(12)));
  return { max: ticks[ticks.length - 1]!, ticks };
}

/** A label cut to `max` characters with an ellipsis (SVG text does not wrap); the full text goes in a title. */
export function truncate(label: string, max: number): string {
  const chars = [...label];
  return chars.length <= max ? label : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

export interface BarDatum {
  readonly label: string;
  readonly value: number;
}

export interface HorizontalBar {
  readonly label: string;
  /** The label as drawn (cut to fit). */
  readonly shortLabel: string;
  readonly value: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Baseline of the label and of the value drawn after the bar. */
  readonly textY: number;
}

export interface HorizontalBarChart {
  readonly width: number;
  readonly height: number;
  readonly scale: Scale;
  readonly bars: readonly HorizontalBar[];
  /** Grid lines: a tick's value and its x. */
  readonly ticks: readonly { value: number; x: number }[];
  /** Where the plot starts and ends horizontally. */
  readonly plotLeft: number;
  readonly plotRight: number;
}

export interface HorizontalLayout {
  width: number;
  rowHeight: number;
  labelWidth: number;
  /** Room after the plot for the largest value's text. */
  valueWidth: number;
  /** Room above the rows for the tick labels. */
  axisHeight: number;
  /** Characters a label may keep. */
  labelChars: number;
  /** The values are counts: whole-number ticks only. */
  integers: boolean;
}

const HORIZONTAL: HorizontalLayout = {
  width: 640,
  rowHeight: 28,
  labelWidth: 200,
  valueWidth: 56,
  axisHeight: 20,
  labelChars: 26,
  integers: false,
};

/**
 * The layout for a chart drawn `width` CSS pixels wide (from 300 to 640): drawn at its own size, its text keeps
 * the stylesheet's size instead of shrinking with a phone's screen; the labels take a third of it.
 */
export function horizontalLayoutFor(width: number): Partial<HorizontalLayout> {
  const w = Math.round(Math.min(640, Math.max(300, width)));
  const labelWidth = Math.round(w * 0.32);
  return { width: w, labelWidth, labelChars: Math.floor(labelWidth / 7.5) };
}

/** One bar per row, longest for the largest value: for queries, whose labels read best on the left. */
export function horizontalBars(
  data: readonly BarDatum[],
  layout: Partial<HorizontalLayout> = {},
): HorizontalBarChart {
  const l = { ...HORIZONTAL, ...layout };
  const scale = niceScale(Math.max(0, ...data.map((d) => d.value)), 4, l.integers);
  const plotLeft = l.labelWidth;
  const plotRight = l.width - l.valueWidth;
  const span = plotRight - plotLeft;
  const barHeight = Math.round(l.rowHeight * 0.7);
  const bars = data.map((d, i) => {
    const top = l.axisHeight + i * l.rowHeight;
    return {
      label: d.label,
      shortLabel: truncate(d.label, l.labelChars),
      value: d.value,
      x: plotLeft,
      y: top + (l.rowHeight - barHeight) / 2,
      width: (span * d.value) / scale.max,
      height: barHeight,
      textY: top + l.rowHeight / 2,
    };
  });
  return {
    width: l.width,
    height: l.axisHeight + data.length * l.rowHeight,
    scale,
    bars,
    ticks: scale.ticks.map((value) => ({ value, x: plotLeft + (span * value) / scale.max })),
    plotLeft,
    plotRight,
  };
}

export interface BarGroup {
  readonly label: string;
  /** One value per series, in the series' order. */
  readonly values: readonly number[];
}

export interface VerticalBar {
  readonly group: string;
  readonly series: number;
  readonly value: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface GroupedBarChart {
  readonly width: number;
  readonly height: number;
  readonly scale: Scale;
  readonly bars: readonly VerticalBar[];
  /** Grid lines: a tick's value and its y. */
  readonly ticks: readonly { value: number; y: number }[];
  /** Each group's label, centred under its bars. */
  readonly groupLabels: readonly { label: string; shortLabel: string; x: number; y: number }[];
  readonly plot: {
    readonly left: number;
    readonly top: number;
    readonly right: number;
    readonly bottom: number;
  };
}

export interface VerticalLayout {
  width: number;
  height: number;
  /** Room on the left for the tick labels. */
  axisWidth: number;
  top: number;
  /** Room below the plot for the group labels. */
  labelHeight: number;
  /** Share of a group's band its bars take (the rest separates the groups). */
  fill: number;
  labelChars: number;
}

const VERTICAL: VerticalLayout = {
  width: 640,
  height: 280,
  axisWidth: 56,
  top: 12,
  labelHeight: 28,
  fill: 0.75,
  labelChars: 18,
};

/** Vertical bars side by side per group (latency p50, p95, p99 per index), on one scale. */
export function groupedBars(
  groups: readonly BarGroup[],
  layout: Partial<VerticalLayout> = {},
): GroupedBarChart {
  const l = { ...VERTICAL, ...layout };
  const scale = niceScale(Math.max(0, ...groups.flatMap((g) => g.values)));
  const plot = { left: l.axisWidth, top: l.top, right: l.width - 8, bottom: l.height - l.labelHeight };
  const plotHeight = plot.bottom - plot.top;
  const band = groups.length > 0 ? (plot.right - plot.left) / groups.length : 0;
  const bars: VerticalBar[] = [];
  const groupLabels = groups.map((g, gi) => {
    const barWidth = (band * l.fill) / Math.max(1, g.values.length);
    const start = plot.left + gi * band + (band * (1 - l.fill)) / 2;
    g.values.forEach((value, si) => {
      const height = (plotHeight * value) / scale.max;
      bars.push({
        group: g.label,
        series: si,
        value,
        x: start + si * barWidth,
        y: plot.bottom - height,
        width: barWidth,
        height,
      });
    });
    const chars = Math.max(4, Math.floor(band / 8));
    return {
      label: g.label,
      shortLabel: truncate(g.label, Math.min(l.labelChars, chars)),
      x: plot.left + gi * band + band / 2,
      y: plot.bottom + l.labelHeight * 0.7,
    };
  });
  return {
    width: l.width,
    height: l.height,
    scale,
    bars,
    ticks: scale.ticks.map((value) => ({ value, y: plot.bottom - (plotHeight * value) / scale.max })),
    groupLabels,
    plot,
  };
}

/** The width, in percent of its cell, of a table's inline bar for `fraction` (0..1; more is drawn full). */
export function inlineBarPercent(fraction: number): number {
  if (!(fraction > 0)) return 0;
  return Math.round(Math.min(1, fraction) * 1000) / 10;
}
