/**
 * Draws the geometry of charts.ts as inline SVG elements. Colours come from classes in the stylesheet (the CSP
 * allows no inline style); each chart is an image named by its title, and its numbers are also in the table
 * beside it, for screen readers and for copying.
 */
import type { GroupedBarChart, HorizontalBarChart } from './charts.js';

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(
  tag: string,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node as SVGElement;
}

/** Two decimals at most: viewBox units need no more. */
const r = (n: number) => Math.round(n * 100) / 100;

function frame(width: number, height: number, id: string, title: string): SVGElement {
  return svgEl(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-labelledby': `${id}-svg-title`,
      class: 'chart',
      preserveAspectRatio: 'xMinYMin meet',
    },
    svgEl('title', { id: `${id}-svg-title` }, title),
  );
}

export function drawHorizontalBars(
  chart: HorizontalBarChart,
  id: string,
  title: string,
  format: (n: number) => string,
): SVGElement {
  const svg = frame(chart.width, chart.height, id, title);
  for (const t of chart.ticks) {
    svg.append(
      svgEl('line', { x1: r(t.x), x2: r(t.x), y1: 14, y2: chart.height, class: 'grid' }),
      svgEl('text', { x: r(t.x), y: 11, class: 'tick', 'text-anchor': 'middle' }, format(t.value)),
    );
  }
  for (const b of chart.bars) {
    svg.append(
      svgEl(
        'g',
        { class: 'bar-row', 'data-label': b.label, 'data-value': b.value },
        svgEl('title', {}, `${b.label}: ${format(b.value)}`),
        svgEl(
          'text',
          {
            x: chart.plotLeft - 8,
            y: r(b.textY),
            class: 'label',
            'text-anchor': 'end',
            'dominant-baseline': 'middle',
          },
          b.shortLabel,
        ),
        svgEl('rect', {
          x: r(b.x),
          y: r(b.y),
          width: r(b.width),
          height: r(b.height),
          class: 'bar series-0',
        }),
        svgEl(
          'text',
          { x: r(b.x + b.width + 6), y: r(b.textY), class: 'value', 'dominant-baseline': 'middle' },
          format(b.value),
        ),
      ),
    );
  }
  return svg;
}

export function drawGroupedBars(
  chart: GroupedBarChart,
  id: string,
  title: string,
  series: readonly string[],
  format: (n: number) => string,
): SVGElement {
  const svg = frame(chart.width, chart.height, id, title);
  for (const t of chart.ticks) {
    svg.append(
      svgEl('line', { x1: chart.plot.left, x2: chart.plot.right, y1: r(t.y), y2: r(t.y), class: 'grid' }),
      svgEl(
        'text',
        {
          x: chart.plot.left - 6,
          y: r(t.y),
          class: 'tick',
          'text-anchor': 'end',
          'dominant-baseline': 'middle',
        },
        format(t.value),
      ),
    );
  }
  for (const b of chart.bars) {
    const name = series[b.series] ?? '';
    svg.append(
      svgEl(
        'rect',
        {
          x: r(b.x),
          y: r(b.y),
          width: r(b.width),
          height: r(b.height),
          class: `bar series-${b.series}`,
          'data-group': b.group,
          'data-series': name,
          'data-value': b.value,
        },
        svgEl('title', {}, `${b.group} ${name}: ${format(b.value)}`),
      ),
    );
  }
  for (const g of chart.groupLabels) {
    svg.append(
      svgEl(
        'text',
        { x: r(g.x), y: r(g.y), class: 'label', 'text-anchor': 'middle' },
        svgEl('title', {}, g.label),
        g.shortLabel,
      ),
    );
  }
  return svg;
}
