import * as tf from '@tensorflow/tfjs-core';
import { ttContract } from '@tnzip/tensor';
import type { TTConv2d } from '../factorized/tt-conv2d.js';
import type { TTLinear } from '../factorized/tt-linear.js';
import { ints, type OnnxGraphBuilder, type OnnxRef } from './onnx-builder.js';
import { convHwio, noOnnxForm, type OnnxExportContext, type OnnxExporter, pointwise, toPlain } from './onnx-common.js';

const matMul = (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D => tf.matMul(a, b);

/**
 * TT conv → Conv 1×1 (S→r_n: the input cores contracted) → Conv k×k (the spatial core,
 * original geometry) → Conv 1×1 (r_{n+1}→T: the output cores contracted, bias). Exact: both
 * sides act on channels only. With several cores per side the 1×1 kernels hold more scalars
 * than the cores (S·r_n and r_{n+1}·T); the report shows it.
 */
export const onnxTTConv: OnnxExporter = (module, x, ctx) => {
  const m = module as TTConv2d;
  const b = ctx.builder;
  const [, , rn, rn1] = m.spatial.shape as [number, number, number, number];
  const [u, v] = tf.tidy(() => {
    const inChain = m.inCores.map((c) =>
      tf.reshape(c, [c.shape[0] as number, 1, c.shape[1] as number, c.shape[2] as number]),
    );
    const outChain = m.outCores.map((c) =>
      tf.reshape(c, [c.shape[0] as number, c.shape[1] as number, 1, c.shape[2] as number]),
    );
    return [
      tf.reshape(ttContract(tf.eye(m.inChannels), inChain, matMul), [m.inChannels, rn]),
      tf.reshape(ttContract(tf.eye(rn1), outChain, matMul), [rn1, m.outChannels]),
    ];
  });
  try {
    const g = m.geometry;
    let y = pointwise(b, `${ctx.base}_in`, x, u as tf.Tensor, null);
    y = convHwio(b, `${ctx.base}_core`, y, m.spatial, null, g.stride, g.padding, g.dilation);
    return { output: pointwise(b, `${ctx.base}_out`, y, v as tf.Tensor, m.bias), form: 'factorized' };
  } finally {
    tf.dispose([u as tf.Tensor, v as tf.Tensor]);
  }
};

const reshape = (b: OnnxGraphBuilder, x: string, dims: readonly number[], base: string): string =>
  b.node('Reshape', [x, b.int64(`${base}_shape`, [0, ...dims])], base);

/**
 * TT linear (cores `G_k` `[r_{k-1}, m_k, n_k, r_k]`) → one MatMul per core, last to first, with
 * Reshape/Transpose between them, never forming the matrix: the state `[N, I, J, n_k·r_k]`
 * (I = outputs i_{k+1}…i_d done, J = inputs j_1…j_{k-1} left) times `[(n_k, r_k) → (r_{k-1}, m_k)]`
 * is reshaped to `[N, I, J', n_{k-1}, r_{k-1}, m_k]` and `m_k` moved in front of I. The
 * low-rank linear (2 cores, rowDims `[1, T]`, colDims `[S, 1]`) is two Gemm.
 */
export const onnxTTLinear: OnnxExporter = (module, x, ctx) => {
  const m = module as TTLinear;
  if (x.shape.length !== 1) throw noOnnxForm(m, ctx, `reads a rank-${x.shape.length} input`);
  const b = ctx.builder;
  const xs = toPlain(b, x, ctx.base);
  if (m.cores.length === 2 && m.rowDims[0] === 1 && m.colDims[1] === 1) return lowRank(m, xs, ctx);
  const d = m.cores.length;
  const n = m.cores.map((c) => c.shape[2] as number);
  const prodN = (k: number): number => n.slice(0, k).reduce((a, v) => a * v, 1);
  let done = 1;
  let y = reshape(b, xs.name, [1, prodN(d - 1), n[d - 1] as number], `${ctx.base}_split`);
  for (let k = d; k >= 1; k--) {
    const [r0, mk, nk, r1] = (m.cores[k - 1] as tf.Variable).shape as [number, number, number, number];
    const w = tf.tidy(() => tf.reshape(tf.transpose(m.cores[k - 1] as tf.Variable, [2, 3, 0, 1]), [nk * r1, r0 * mk]));
    y = b.node('MatMul', [y, b.weight(`${ctx.base}_core${k}`, w)], `${ctx.base}_core${k}_matmul`);
    w.dispose();
    const nPrev = k >= 2 ? (n[k - 2] as number) : 1;
    const jPrev = k >= 2 ? prodN(k - 2) : 1;
    y = reshape(b, y, [done, jPrev, nPrev, r0, mk], `${ctx.base}_unfold${k}`);
    y = b.node('Transpose', [y], `${ctx.base}_move${k}`, { perm: ints([0, 5, 1, 2, 3, 4]) });
    done *= mk;
    y = reshape(b, y, [done, jPrev, nPrev * r0], `${ctx.base}_fold${k}`);
  }
  const t = m.outFeatures;
  y = reshape(b, y, [t], m.bias === null ? ctx.base : `${ctx.base}_flat`);
  if (m.bias !== null) y = b.node('Add', [y, b.weight(`${ctx.base}_B`, m.bias)], ctx.base);
  return { output: { name: y, shape: [t], layout: 'plain' }, form: 'factorized' };
};

/** W = A·B (A `[S, R]`, B `[R, T]`) → Gemm (S→R) → Gemm (R→T, bias). */
function lowRank(m: TTLinear, x: OnnxRef, ctx: OnnxExportContext): ReturnType<OnnxExporter> {
  const [g1, g2] = m.cores as [tf.Variable, tf.Variable];
  const r = g1.shape[3] as number;
  const b = ctx.builder;
  const a = tf.reshape(g1, [m.inFeatures, r]);
  const bm = tf.reshape(g2, [r, m.outFeatures]);
  try {
    const y = b.node('Gemm', [x.name, b.weight(`${ctx.base}_A`, a)], `${ctx.base}_in`);
    const inputs = [y, b.weight(`${ctx.base}_Bw`, bm)];
    if (m.bias !== null) inputs.push(b.weight(`${ctx.base}_B`, m.bias));
    return {
      output: { name: b.node('Gemm', inputs, ctx.base), shape: [m.outFeatures], layout: 'plain' },
      form: 'factorized',
    };
  } finally {
    tf.dispose([a, bm]);
  }
}
