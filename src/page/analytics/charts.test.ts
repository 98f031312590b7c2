import { describe, expect, it } from 'vitest';
import {
  groupedBars,
  horizontalBars,
  horizontalLayoutFor,
  inlineBarPercent,
  niceScale,
  truncate,
} from './charts.js';

describe('niceScale', () => {
  it('ends on a round maximum with round steps', () => {
    expect(niceScale(4)).toEqual({ max: 4, ticks: [0, 1, 2, 3, 4] });
    expect(niceScale(7)).toEqual({ max: 8, ticks: [0, 2, 4, 6, 8] });
    expect(niceScale(93)).toEqual({ max: 100, ticks: [0, 50, 100] });
    expect(niceScale(0.3)).toEqual({ max: 0.3, ticks: [0, 0.1, 0.2, 0.3] });
    expect(niceScale(1234).max).toBe(1500);
  });

  it('keeps whole-number ticks for counts', () => {
    expect(niceScale(2)).toEqual({ max: 2, ticks: [0, 0.5, 1, 1.5, 2] });
    expect(niceScale(2, 4, true)).toEqual({ max: 2, ticks: [0, 1, 2] });
    expect(niceScale(40, 4, true)).toEqual({ max: 40, ticks: [0, 10, 20, 30, 40] });
    expect(horizontalBars([{ label: 'xyzzy', value: 2 }], { integers: true }).scale.ticks).toEqual([0, 1, 2]);
  });

  it('draws nothing-to-show on a unit axis instead of dividing by zero', () => {
    expect(niceScale(0)).toEqual({ max: 1, ticks: [0, 1] });
    expect(niceScale(Number.NaN)).toEqual({ max: 1, ticks: [0, 1] });
  });
});

describe('truncate', () => {
  it('keeps short labels and cuts long ones with an ellipsis, counting characters not code units', () => {
    expect(truncate('dune', 5)).toBe('dune');
    expect(truncate('the left hand of darkness', 10)).toBe('the left …');
    expect(truncate('😀😀😀😀', 3)).toBe('😀😀…');
  });
});

describe('horizontalBars', () => {
  const chart = horizontalBars(
    [
      { label: 'dune', value: 4 },
      { label: 'emma', value: 2 },
      { label: 'xyzzy', value: 0 },
    ],
    { width: 500, labelWidth: 100, valueWidth: 0, rowHeight: 20, axisHeight: 10 },
  );

  it('makes bar lengths proportional to the values on the scale', () => {
    expect(chart.scale.max).toBe(4);
    expect(chart.bars.map((b) => b.width)).toEqual([400, 200, 0]);
    expect(chart.bars.every((b) => b.x === 100)).toBe(true);
  });

  it('stacks one row per datum below the axis, in order', () => {
    expect(chart.height).toBe(10 + 3 * 20);
    expect(chart.bars.map((b) => b.y)).toEqual([13, 33, 53]);
    expect(chart.bars.map((b) => b.textY)).toEqual([20, 40, 60]);
    expect(chart.ticks.map((t) => t.x)).toEqual([100, 200, 300, 400, 500]);
  });

  it('is empty but valid without data', () => {
    const empty = horizontalBars([]);
    expect(empty.bars).toEqual([]);
    expect(empty.scale.max).toBe(1);
  });
});

describe('horizontalLayoutFor', () => {
  it('draws at the width shown, within bounds, giving the labels a third', () => {
    expect(horizontalLayoutFor(360)).toEqual({ width: 360, labelWidth: 115, labelChars: 15 });
    expect(horizontalLayoutFor(1200).width).toBe(640);
    expect(horizontalLayoutFor(0).width).toBe(300);
    const chart = horizontalBars(
      [{ label: 'a very long query typed on a phone', value: 1 }],
      horizontalLayoutFor(360),
    );
    expect(chart.width).toBe(360);
    expect(chart.bars[0]!.shortLabel).toBe('a very long qu…');
  });
});

describe('groupedBars', () => {
  const chart = groupedBars(
    [
      { label: 'books', values: [10, 20, 40] },
      { label: 'other', values: [5, 5, 10] },
    ],
    { width: 440, height: 240, axisWidth: 40, top: 0, labelHeight: 40, fill: 0.6 },
  );

  it('puts each group in its own band with its series side by side', () => {
    // Plot from x 40 to 432: bands of 196, bars taking 60% of a band.
    const books = chart.bars.filter((b) => b.group === 'books');
    expect(books.map((b) => b.series)).toEqual([0, 1, 2]);
    expect(books[0]!.x).toBeCloseTo(40 + 196 * 0.2);
    expect(books[1]!.x - books[0]!.x).toBeCloseTo((196 * 0.6) / 3);
    expect(chart.groupLabels.map((g) => g.x)).toEqual([40 + 98, 40 + 196 + 98]);
  });

  it('grows bars up from the baseline in proportion to one scale shared by every group', () => {
    expect(chart.scale.max).toBe(40);
    expect(chart.plot.bottom).toBe(200);
    const heights = chart.bars.map((b) => b.height);
    expect(heights).toEqual([50, 100, 200, 25, 25, 50]);
    expect(chart.bars.every((b) => b.y + b.height === 200)).toBe(true);
    expect(chart.ticks[0]).toEqual({ value: 0, y: 200 });
    expect(chart.ticks.at(-1)).toEqual({ value: 40, y: 0 });
  });
});

describe('inlineBarPercent', () => {
  it('is the fraction in percent, bounded to the cell', () => {
    expect(inlineBarPercent(0.5)).toBe(50);
    expect(inlineBarPercent(1 / 3)).toBe(33.3);
    expect(inlineBarPercent(1.5)).toBe(100);
    expect(inlineBarPercent(0)).toBe(0);
    expect(inlineBarPercent(Number.NaN)).toBe(0);
  });
});
