import * as vega from 'vega';

/**
 * A point of a line chart: `x`, `y`, the series it belongs to (its colour and legend entry) and
 * optionally a segment: points of one series in different segments are not joined (e.g. the same
 * curve in dense training and in fine-tuning).
 */
export interface LinePoint {
  readonly x: number;
  readonly y: number;
  readonly series: string;
  readonly segment?: string;
}

/** A shaded span of the x axis with a label at its top (e.g. the fine-tuning epochs). */
export interface XBand {
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

/** A bar of a grouped bar chart: category (`group`, e.g. a layer), bar within it (`series`), value. */
export interface BarDatum {
  readonly group: string;
  readonly series: string;
  readonly value: number;
}

/**
 * How a line chart draws one series: `line+points` (default), `line` (no point marks: a smoothed
 * curve), `points` (markers only) or `faint` (a thin translucent line: raw, noisy data behind its
 * smoothed curve).
 */
export type SeriesStyle = 'line+points' | 'line' | 'points' | 'faint';

// Small enough that a phone (about 360 px of page) shows the plot at 70% or more of its size.
const WIDTH = 420;
const HEIGHT = 240;
/** Fonts a little larger than Vega's defaults, for the same reason. */
const CONFIG: vega.Config = {
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11 },
};

async function render(spec: vega.Spec): Promise<string> {
  // renderer 'none': no canvas needed; toSVG builds the SVG scenegraph on its own.
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Characters of a title line that fit the plot's width at 14 px. */
const TITLE_CHARS = 44;

/** The title, wrapped at spaces into lines that fit the plot's width (a long title would widen the SVG). */
export function titleLines(text: string, max = TITLE_CHARS): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= max) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

const title = (text: string): vega.Title => ({ text: titleLines(text), anchor: 'start', fontSize: 14 });

/** The legend under the plot (the SVG stays narrow enough for a phone), at most 2 entries a row. */
const legendBelow = (channels: Partial<vega.Legend>): vega.Legend => ({
  ...channels,
  orient: 'bottom',
  direction: 'horizontal',
  columns: 2,
  labelLimit: 220,
});

/** Axis labels as SI numbers formatted one by one (`~s` on the whole axis writes `0k`). */
const siLabels = { labels: { update: { text: { signal: "format(datum.value, '~s')" } } } };

/** The shaded x-ranges of a line chart (e.g. the fine-tuning epochs) and their labels. */
const BAND_MARKS: vega.Mark[] = [
  {
    name: 'x-band',
    type: 'rect',
    from: { data: 'bands' },
    encode: {
      enter: {
        x: { scale: 'x', field: 'from' },
        x2: { scale: 'x', field: 'to' },
        y: { value: 0 },
        y2: { signal: 'height' },
        fill: { value: '#000' },
        fillOpacity: { value: 0.05 },
      },
    },
  },
  {
    type: 'text',
    from: { data: 'bands' },
    encode: {
      enter: {
        x: { scale: 'x', field: 'from', offset: 4 },
        y: { value: 4 },
        baseline: { value: 'top' },
        fontSize: { value: 11 },
        fill: { value: '#555' },
        text: { field: 'label' },
      },
    },
  },
];

/** One line and/or point series per (series, segment) facet of a line chart. */
const SERIES_MARK: vega.Mark = {
  type: 'group',
  from: { facet: { name: 'series', data: 'points', groupby: ['series', 'segment'] } },
  data: [
    { name: 'lineData', source: 'series', transform: [{ type: 'filter', expr: 'datum.line' }] },
    { name: 'pointData', source: 'series', transform: [{ type: 'filter', expr: 'datum.point' }] },
  ],
  marks: [
    {
      type: 'line',
      from: { data: 'lineData' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'x' },
          y: { scale: 'y', field: 'y' },
          stroke: { scale: 'color', field: 'series' },
          strokeWidth: { field: 'strokeWidth' },
          strokeOpacity: { field: 'opacity' },
          description: { field: 'series' },
        },
      },
    },
    {
      type: 'symbol',
      from: { data: 'pointData' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'x' },
          y: { scale: 'y', field: 'y' },
          fill: { scale: 'color', field: 'series' },
          size: { value: 30 },
          description: {
            signal: "datum.series + ': ' + format(datum.x, '.3~f') + ', ' + format(datum.y, '.4~f')",
          },
        },
      },
    },
  ],
};

/**
 * A line chart with one coloured line (and point marks, per `o.styles`) per series, as an SVG
 * document. Every line and point carries an `aria-label` naming its series.
 */
export function lineChart(
  points: readonly LinePoint[],
  o: {
    title: string;
    x: string;
    y: string;
    yZero?: boolean;
    xLog?: boolean;
    /** Per series (default `line+points`). */
    styles?: Readonly<Record<string, SeriesStyle>>;
    /** A colour per series, in legend order (default: Vega's category palette in order of appearance). */
    colors?: Readonly<Record<string, string>>;
    bands?: readonly XBand[];
  },
): Promise<string> {
  const values = points.map((p) => {
    const style = o.styles?.[p.series] ?? 'line+points';
    return {
      ...p,
      segment: p.segment ?? '',
      line: style !== 'points',
      point: style === 'line+points' || style === 'points',
      opacity: style === 'faint' ? 0.6 : 1,
      strokeWidth: style === 'faint' ? 1 : 2,
    };
  });
  const present = new Set(points.map((p) => p.series));
  const fixed = Object.entries(o.colors ?? {}).filter(([k]) => present.has(k));
  const color: vega.Scale =
    o.colors === undefined
      ? { name: 'color', type: 'ordinal', domain: { data: 'points', field: 'series' }, range: 'category' }
      : { name: 'color', type: 'ordinal', domain: fixed.map(([k]) => k), range: fixed.map(([, c]) => c) };
  const x: vega.Scale =
    o.xLog === true
      ? { name: 'x', type: 'log', domain: { data: 'points', field: 'x' }, range: 'width', nice: true }
      : { name: 'x', type: 'linear', domain: { data: 'points', field: 'x' }, range: 'width', zero: false, nice: true };
  return render({
    width: WIDTH,
    height: HEIGHT,
    padding: 8,
    config: CONFIG,
    title: title(o.title),
    data: [
      { name: 'points', values },
      { name: 'bands', values: (o.bands ?? []).map((b) => ({ ...b })) },
    ],
    scales: [
      x,
      {
        name: 'y',
        type: 'linear',
        domain: { data: 'points', field: 'y' },
        range: 'height',
        zero: o.yZero ?? false,
        nice: true,
      },
      color,
    ],
    axes: [
      o.xLog === true
        ? { orient: 'bottom', scale: 'x', title: o.x, grid: true }
        : { orient: 'bottom', scale: 'x', title: o.x, grid: true, tickMinStep: 1 },
      { orient: 'left', scale: 'y', title: o.y, grid: true },
    ],
    legends: [legendBelow({ stroke: 'color', fill: 'color' })],
    marks: [...BAND_MARKS, SERIES_MARK],
  });
}

/**
 * A grouped bar chart (one group per category, one bar per series, the value written above each
 * bar), as an SVG document. The y scale is linear from 0, so a bar's height is proportional to its
 * value; each bar carries an `aria-label` `"<group>, <series>: <value>"`.
 */
export function groupedBarChart(
  bars: readonly BarDatum[],
  o: { title: string; x: string; y: string },
): Promise<string> {
  return render({
    width: WIDTH,
    height: HEIGHT,
    padding: 8,
    config: CONFIG,
    title: title(o.title),
    data: [{ name: 'bars', values: bars.map((b) => ({ ...b })) }],
    scales: [
      { name: 'x', type: 'band', domain: { data: 'bars', field: 'group' }, range: 'width', padding: 0.2 },
      { name: 'y', type: 'linear', domain: { data: 'bars', field: 'value' }, range: 'height', zero: true, nice: true },
      { name: 'color', type: 'ordinal', domain: { data: 'bars', field: 'series' }, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: o.x, labelAngle: -30, labelAlign: 'right' },
      { orient: 'left', scale: 'y', title: o.y, grid: true, encode: siLabels },
    ],
    legends: [legendBelow({ fill: 'color' })],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'group', data: 'bars', groupby: 'group' } },
        // The group spans its band: the inner scale divides that width among the group's series.
        encode: { enter: { x: { scale: 'x', field: 'group' }, width: { scale: 'x', band: 1 } } },
        signals: [{ name: 'width', update: "bandwidth('x')" }],
        scales: [
          { name: 'inner', type: 'band', range: 'width', domain: { data: 'group', field: 'series' }, padding: 0.05 },
        ],
        marks: [
          {
            name: 'bar',
            type: 'rect',
            from: { data: 'group' },
            encode: {
              enter: {
                x: { scale: 'inner', field: 'series' },
                width: { scale: 'inner', band: 1 },
                y: { scale: 'y', field: 'value' },
                y2: { scale: 'y', value: 0 },
                fill: { scale: 'color', field: 'series' },
                description: { signal: "datum.group + ', ' + datum.series + ': ' + format(datum.value, ',')" },
              },
            },
          },
          {
            type: 'text',
            from: { data: 'bar' },
            encode: {
              enter: {
                x: { field: 'x', offset: { field: 'width', mult: 0.5 } },
                y: { field: 'y', offset: -3 },
                align: { value: 'center' },
                baseline: { value: 'bottom' },
                fontSize: { value: 10 },
                fill: { value: '#333' },
                text: { signal: "format(datum.datum.value, '.3~s')" },
              },
            },
          },
        ],
      },
    ],
  });
}
