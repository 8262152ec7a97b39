import { Graph } from '../layers/graph.js';
import { Merge } from '../layers/merge.js';
import type { Residual } from '../layers/residual.js';
import type { Module } from '../module.js';
import type { KerasRef } from './export-builder.js';
import type { KerasExporter } from './export-common.js';

/** Sequential → its children in a chain. */
export const exportSequential: KerasExporter = (m, x, ctx) => {
  let y = x;
  for (const c of m.children()) y = ctx.child(c, y);
  return { output: y };
};

/** Residual → body chain, shortcut, Add (and an Activation relu when the block ends in one). */
export const exportResidual: KerasExporter = (module, x, ctx) => {
  const m = module as Residual;
  const all = [...m.children()];
  const shortcut = m.shortcut === null ? null : (all.pop() as Module);
  let y = x;
  for (const c of all) y = ctx.child(c, y);
  const s = shortcut === null ? x : ctx.child(shortcut, x);
  const b = ctx.builder;
  const sum = b.layer('Add', `${ctx.base}_add`, {}, [y, s], y.shape);
  return {
    output:
      m.activation === 'relu'
        ? b.layer('Activation', `${ctx.base}_relu`, { activation: 'relu' }, [sum], sum.shape)
        : sum,
  };
};

/** Graph → its nodes; Add / Concatenate nodes read all their inputs. */
export const exportGraph: KerasExporter = (module, x, ctx) => {
  const g = module as Graph;
  const mods = g.modules();
  const values = new Map<string, KerasRef>([[g.input, x]]);
  for (const { name, inputs } of g.edges) {
    const m = mods.get(name) as Module;
    const xs = inputs.map((i) => values.get(i) as KerasRef);
    if (m instanceof Merge) {
      const shape = m.mergeShape(xs.map((r) => r.shape));
      const axis = 'axis' in m && typeof m.axis === 'number' ? m.axis : -1;
      const cfg = m.kind === 'concatenate' ? { axis: axis < 0 ? axis : axis + 1 } : {};
      values.set(
        name,
        ctx.builder.layer(
          m.kind === 'concatenate' ? 'Concatenate' : 'Add',
          ctx.path === '' ? m.name : `${ctx.base}_${m.name}`,
          cfg,
          xs,
          shape,
        ),
      );
    } else {
      values.set(name, ctx.child(m, xs[0] as KerasRef));
    }
  }
  return { output: values.get(g.output) as KerasRef };
};

export const CONTAINER_EXPORTERS: Readonly<Record<string, KerasExporter>> = {
  sequential: exportSequential,
  residual: exportResidual,
  graph: exportGraph,
};

/** True for the root kinds whose input shape the module itself records. */
export function isGraph(m: Module): m is Graph {
  return m instanceof Graph;
}
