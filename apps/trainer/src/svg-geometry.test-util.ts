// Reads back what a Vega SVG draws — bars, lines, points, legend entries, band-axis labels — with
// absolute coordinates, so tests can check the drawn geometry of the trainer's plots without a browser.
import { DOMParser } from 'linkedom';

/** An axis-aligned box in the SVG's user units (y grows downward). */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A drawn bar (a `rect` mark, not a shaded x band): its box, fill colour and `aria-label`. */
export interface DrawnBar extends Box {
  readonly fill: string;
  readonly label: string;
}

/** A drawn line (a `line` mark): its stroke colour, `aria-label` and vertices. */
export interface DrawnLine {
  readonly stroke: string;
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
}

/** A drawn point (a `symbol` mark): fill colour, `aria-label`, centre. */
export interface DrawnSymbol {
  readonly fill: string;
  readonly label: string;
  readonly x: number;
  readonly y: number;
}

/** What a plot draws. */
export interface DrawnPlot {
  readonly bars: readonly DrawnBar[];
  readonly lines: readonly DrawnLine[];
  readonly symbols: readonly DrawnSymbol[];
  /** Legend entries: label text and the colour of the entry's symbol (fill, else stroke). */
  readonly legend: readonly { readonly label: string; readonly color: string }[];
  /** Labels of the bottom axis with the x of their anchor. */
  readonly xLabels: readonly { readonly text: string; readonly x: number }[];
}

/** The part of linkedom's DOM used here (the package's tsconfig has no DOM lib). */
interface Node {
  readonly parentNode: Node | null;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): ArrayLike<Node>;
}

/** Sum of the `translate(...)` offsets of `el` and its ancestors, up to the first `rotate`/`scale`. */
function offset(el: Node): [number, number] {
  let x = 0;
  let y = 0;
  for (let n: Node | null = el; n !== null && typeof n.getAttribute === 'function'; n = n.parentNode) {
    const t = n.getAttribute('transform');
    if (t === null) continue;
    for (const m of t.matchAll(/(translate|rotate|scale|matrix|skew[XY]?)\(([^)]*)\)/g)) {
      if (m[1] !== 'translate') break; // an anchor: what follows a rotation does not move it
      const [a = 0, b = 0] = (m[2] as string).split(/[\s,]+/).map(Number);
      x += a;
      y += b;
    }
  }
  return [x, y];
}

/** The vertices of a path made of M/L/H/V/Z commands (absolute or relative), as Vega writes rects and lines. */
export function pathVertices(d: string): [number, number][] {
  const out: [number, number][] = [];
  let x = 0;
  let y = 0;
  for (const m of d.matchAll(/([MLHVZmlhvz])([^MLHVZmlhvz]*)/g)) {
    const cmd = m[1] as string;
    const nums = (m[2] as string).match(/-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi)?.map(Number) ?? [];
    const rel = cmd === cmd.toLowerCase();
    const step = cmd.toUpperCase();
    if (step === 'Z') continue;
    if (step === 'H' || step === 'V') {
      for (const v of nums) {
        if (step === 'H') x = rel ? x + v : v;
        else y = rel ? y + v : v;
        out.push([x, y]);
      }
      continue;
    }
    for (let i = 0; i + 1 < nums.length; i += 2) {
      x = rel ? x + (nums[i] as number) : (nums[i] as number);
      y = rel ? y + (nums[i + 1] as number) : (nums[i + 1] as number);
      out.push([x, y]);
    }
  }
  if (/[^MLHVZmlhvz\d\s,.eE+-]/.test(d)) throw new Error(`path with curves, not a rect or polyline: ${d}`);
  return out;
}

function box(vertices: readonly (readonly [number, number])[], [dx, dy]: [number, number]): Box {
  const xs = vertices.map((v) => v[0]);
  const ys = vertices.map((v) => v[1]);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  return { x: x0 + dx, y: y0 + dy, width: Math.max(...xs) - x0, height: Math.max(...ys) - y0 };
}

/** Parses a Vega SVG document and returns what it draws. */
export function readPlot(svg: string): DrawnPlot {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml') as unknown as Node;
  const all = (sel: string, within: Node = doc): Node[] => Array.from(within.querySelectorAll(sel));
  const attr = (n: Node, name: string): string => n.getAttribute(name) ?? '';
  const bars = all('g.mark-rect.role-mark:not(.x-band) > path').map((p): DrawnBar => {
    return { ...box(pathVertices(attr(p, 'd')), offset(p)), fill: attr(p, 'fill'), label: attr(p, 'aria-label') };
  });
  const lines = all('g.mark-line.role-mark > path').map((p): DrawnLine => {
    const [dx, dy] = offset(p);
    const points = pathVertices(attr(p, 'd')).map(([x, y]): [number, number] => [x + dx, y + dy]);
    return { stroke: attr(p, 'stroke'), label: attr(p, 'aria-label'), points };
  });
  const symbols = all('g.mark-symbol.role-mark > path').map((p): DrawnSymbol => {
    const [x, y] = offset(p);
    return { fill: attr(p, 'fill'), label: attr(p, 'aria-label'), x, y };
  });
  // Vega writes each legend entry as a symbol then its label, in the same order.
  const labels = all('.role-legend-label text');
  const legend = all('.role-legend-symbol path').map((sym, i) => {
    const fill = attr(sym, 'fill');
    return { label: labels[i]?.textContent ?? '', color: fill !== '' && fill !== 'none' ? fill : attr(sym, 'stroke') };
  });
  const xAxis = all('g.role-axis').find((g) => /^X-axis/.test(attr(g, 'aria-label')));
  const xLabels =
    xAxis === undefined
      ? []
      : all('.role-axis-label text', xAxis).map((t) => ({ text: t.textContent ?? '', x: offset(t)[0] }));
  return { bars, lines, symbols, legend, xLabels };
}
