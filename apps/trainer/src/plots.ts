import * as vega from 'vega';

/** A point of a line chart: `x`, `y` and the series it belongs to. */
export interface LinePoint {
  readonly x: number;
  readonly y: number;
  readonly series: string;
}

/** A bar of a grouped bar chart: category (`group`, e.g. a layer), bar within it (`series`), value. */
export interface BarDatum {
  readonly group: string;
  readonly series: string;
  readonly value: number;
}

const WIDTH = 520;
const HEIGHT = 260;

async function render(spec: vega.Spec): Promise<string> {
  // renderer 'none': no canvas needed; toSVG builds the SVG scenegraph on its own.
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const title = (text: string): vega.Title => ({ text, anchor: 'start', fontSize: 14 });

/** A line chart with one coloured line (and point marks) per series, as an SVG document. */
export function lineChart(
  points: readonly LinePoint[],
  o: { title: string; x: string; y: string; yZero?: boolean; xLog?: boolean },
): Promise<string> {
  return render({
    width: WIDTH,
    height: HEIGHT,
    padding: 8,
    title: title(o.title),
    data: [{ name: 'points', values: points.map((p) => ({ ...p })) }],
    scales: [
      o.xLog === true
        ? { name: 'x', type: 'log', domain: { data: 'points', field: 'x' }, range: 'width', nice: true }
        : {
            name: 'x',
            type: 'linear',
            domain: { data: 'points', field: 'x' },
            range: 'width',
            zero: false,
            nice: true,
          },
      {
        name: 'y',
        type: 'linear',
        domain: { data: 'points', field: 'y' },
        range: 'height',
        zero: o.yZero ?? false,
        nice: true,
      },
      { name: 'color', type: 'ordinal', domain: { data: 'points', field: 'series' }, range: 'category' },
    ],
    axes: [
      o.xLog === true
        ? { orient: 'bottom', scale: 'x', title: o.x, grid: true }
        : { orient: 'bottom', scale: 'x', title: o.x, grid: true, tickMinStep: 1 },
      { orient: 'left', scale: 'y', title: o.y, grid: true },
    ],
    legends: [{ stroke: 'color', fill: 'color', title: 'series', orient: 'right' }],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'series', data: 'points', groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: 'series' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'x' },
                y: { scale: 'y', field: 'y' },
                stroke: { scale: 'color', field: 'series' },
                strokeWidth: { value: 1.5 },
              },
            },
          },
          {
            type: 'symbol',
            from: { data: 'series' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'x' },
                y: { scale: 'y', field: 'y' },
                fill: { scale: 'color', field: 'series' },
                size: { value: 12 },
              },
            },
          },
        ],
      },
    ],
  });
}

/** A grouped bar chart (one group per category, one bar per series), as an SVG document. */
export function groupedBarChart(
  bars: readonly BarDatum[],
  o: { title: string; x: string; y: string },
): Promise<string> {
  return render({
    width: WIDTH,
    height: HEIGHT,
    padding: 8,
    title: title(o.title),
    data: [{ name: 'bars', values: bars.map((b) => ({ ...b })) }],
    scales: [
      { name: 'x', type: 'band', domain: { data: 'bars', field: 'group' }, range: 'width', padding: 0.2 },
      { name: 'y', type: 'linear', domain: { data: 'bars', field: 'value' }, range: 'height', zero: true, nice: true },
      { name: 'color', type: 'ordinal', domain: { data: 'bars', field: 'series' }, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: o.x, labelAngle: -30, labelAlign: 'right' },
      { orient: 'left', scale: 'y', title: o.y, grid: true, format: '~s' },
    ],
    legends: [{ fill: 'color', title: 'series', orient: 'right' }],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'group', data: 'bars', groupby: 'group' } },
        encode: { enter: { x: { scale: 'x', field: 'group' } } },
        signals: [{ name: 'bandWidth', update: "bandwidth('x')" }],
        scales: [
          { name: 'inner', type: 'band', range: { signal: 'bandWidth' }, domain: { data: 'group', field: 'series' } },
        ],
        marks: [
          {
            type: 'rect',
            from: { data: 'group' },
            encode: {
              enter: {
                x: { scale: 'inner', field: 'series' },
                width: { scale: 'inner', band: 1 },
                y: { scale: 'y', field: 'value' },
                y2: { scale: 'y', value: 0 },
                fill: { scale: 'color', field: 'series' },
              },
            },
          },
        ],
      },
    ],
  });
}
