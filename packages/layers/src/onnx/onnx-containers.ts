import type { Graph } from '../layers/graph.js';
import { Merge } from '../layers/merge.js';
import type { Residual } from '../layers/residual.js';
import type { Module } from '../module.js';
import { int, type OnnxGraphBuilder, type OnnxRef } from './onnx-builder.js';
import { type OnnxExporter, sameLayout } from './onnx-common.js';
import { activationNode } from './onnx-dense.js';

/** Sequential → its children in a chain. */
export const onnxSequential: OnnxExporter = (m, x, ctx) => {
  let y = x;
  for (const c of m.children()) y = ctx.child(c, y);
  return { output: y };
};

/** Elementwise sum of same-shaped values (brought to one layout first). */
function addAll(b: OnnxGraphBuilder, xs: readonly OnnxRef[], base: string): OnnxRef {
  const ys = sameLayout(b, xs, base);
  let acc = ys[0] as OnnxRef;
  for (let i = 1; i < ys.length; i++) {
    const name = b.node('Add', [acc.name, (ys[i] as OnnxRef).name], i === ys.length - 1 ? base : `${base}_${i}`);
    acc = { name, shape: acc.shape, layout: acc.layout };
  }
  return acc;
}

/** Residual → body chain, shortcut, Add (and a Relu when the block ends in one). */
export const onnxResidual: OnnxExporter = (module, x, ctx) => {
  const m = module as Residual;
  const all = [...m.children()];
  const shortcut = m.shortcut === null ? null : (all.pop() as Module);
  let y = x;
  for (const c of all) y = ctx.child(c, y);
  const s = shortcut === null ? x : ctx.child(shortcut, x);
  const sum = addAll(ctx.builder, [y, s], `${ctx.base}_add`);
  return { output: m.activation === 'relu' ? activationNode(ctx.builder, 'relu', sum, `${ctx.base}_relu`) : sum };
};

/**
 * Concat along tnzip axis `axis` (per example, negative from the end), mapped onto the stored
 * layout: in NCHW the image axes (h, w, c) sit at 2, 3, 1.
 */
function concat(
  b: OnnxGraphBuilder,
  xs: readonly OnnxRef[],
  axis: number,
  shape: readonly number[],
  base: string,
): OnnxRef {
  const ys = sameLayout(b, xs, base);
  const first = ys[0] as OnnxRef;
  const a = axis < 0 ? first.shape.length + axis : axis;
  const onnxAxis = first.layout === 'nchw' ? ([2, 3, 1][a] as number) : a + 1;
  const name = b.node(
    'Concat',
    ys.map((y) => y.name),
    base,
    { axis: int(onnxAxis) },
  );
  return { name, shape: [...shape], layout: first.layout };
}

/** Graph → its nodes; Add / Concatenate nodes read all their inputs. */
export const onnxGraph: OnnxExporter = (module, x, ctx) => {
  const g = module as Graph;
  const mods = g.modules();
  const values = new Map<string, OnnxRef>([[g.input, x]]);
  for (const { name, inputs } of g.edges) {
    const m = mods.get(name) as Module;
    const xs = inputs.map((i) => values.get(i) as OnnxRef);
    if (m instanceof Merge) {
      const shape = m.mergeShape(xs.map((r) => r.shape));
      const base = ctx.path === '' ? m.name : `${ctx.base}_${m.name}`;
      const axis = 'axis' in m && typeof m.axis === 'number' ? m.axis : -1;
      values.set(
        name,
        m.kind === 'concatenate' ? concat(ctx.builder, xs, axis, shape, base) : addAll(ctx.builder, xs, base),
      );
    } else {
      values.set(name, ctx.child(m, xs[0] as OnnxRef));
    }
  }
  return { output: values.get(g.output) as OnnxRef };
};

/** Exporters of the container kinds. */
export const CONTAINER_ONNX_EXPORTERS: Readonly<Record<string, OnnxExporter>> = {
  sequential: onnxSequential,
  residual: onnxResidual,
  graph: onnxGraph,
};
