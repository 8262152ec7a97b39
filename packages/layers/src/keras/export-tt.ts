import * as tf from '@tensorflow/tfjs-core';
import { ttContract } from '@tnzip/tensor';
import type { TTConv2d } from '../factorized/tt-conv2d.js';
import type { TTLinear } from '../factorized/tt-linear.js';
import type { KerasRef } from './export-builder.js';
import { type KerasExporter, noStockForm } from './export-common.js';
import { coreConv, pointwise } from './export-tucker2.js';

const matMul = (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D => tf.matMul(a, b);

/**
 * TT conv → 1×1 Conv2D (S→r_n: the input cores contracted) → k×k Conv2D (the spatial core,
 * original geometry) → 1×1 Conv2D (r_{n+1}→T: the output cores contracted, bias). Exact: the
 * input and output sides of the chain act on channels only. The 1×1 kernels hold S·r_n and
 * r_{n+1}·T scalars, more than the cores when there are several; the report shows it.
 */
export const exportTTConv: KerasExporter = (module, x, ctx) => {
  const m = module as TTConv2d;
  const [, , rn, rn1] = m.spatial.shape as [number, number, number, number];
  const [u, v] = tf.tidy(() => {
    const inChain = m.inCores.map((c) =>
      tf.reshape(c, [c.shape[0] as number, 1, c.shape[1] as number, c.shape[2] as number]),
    );
    const outChain = m.outCores.map((c) =>
      tf.reshape(c, [c.shape[0] as number, c.shape[1] as number, 1, c.shape[2] as number]),
    );
    return [
      ttContract(tf.eye(m.inChannels), inChain, matMul),
      tf.reshape(ttContract(tf.eye(rn1), outChain, matMul), [rn1, m.outChannels]),
    ];
  });
  let y = pointwise(ctx, `${ctx.base}_in`, x, tf.reshape(u as tf.Tensor, [m.inChannels, rn]), null);
  y = coreConv(ctx, `${ctx.base}_core`, y, m.geometry, m.spatial, null);
  y = pointwise(ctx, `${ctx.base}_out`, y, v as tf.Tensor, m.bias);
  tf.dispose([u as tf.Tensor, v as tf.Tensor]);
  return { output: y, form: 'factorized' };
};

/**
 * TT linear (cores `G_k` `[r_{k-1}, m_k, n_k, r_k]`) → one Dense per core, from the last to the
 * first, with Reshape/Permute between them, never forming the matrix:
 *
 * the state `[I, J, n_k·r_k]` (I = the outputs i_{k+1}…i_d done so far, J = j_1…j_{k-1}) goes
 * through Dense `[(j_k, r_k) → (r_{k-1}, i_k)]`, is reshaped to `[I, J', n_{k-1}, r_{k-1}, m_k]`
 * and permuted to `[m_k, I, J', n_{k-1}, r_{k-1}]`, which is the next state. A 2-core TT is
 * two Dense layers. The bias is a 1×1 DepthwiseConv2D of unit kernel (Keras has no bias-only layer).
 */
export const exportTTLinear: KerasExporter = (module, x, ctx) => {
  const m = module as TTLinear;
  if (x.shape.length !== 1) throw noStockForm(m, ctx, `reads a rank-${x.shape.length} input`);
  const b = ctx.builder;
  const cores = m.cores;
  const d = cores.length;
  if (d === 2 && m.rowDims[0] === 1 && m.colDims[1] === 1) return exportLowRank(m, x, ctx);
  const n = cores.map((c) => c.shape[2] as number);
  const prodN = (k: number): number => n.slice(0, k).reduce((a, v) => a * v, 1);
  let done = 1;
  let y: KerasRef = b.layer(
    'Reshape',
    `${ctx.base}_split`,
    { target_shape: [1, prodN(d - 1), n[d - 1] as number] },
    [x],
    [1, prodN(d - 1), n[d - 1] as number],
  );
  for (let k = d; k >= 1; k--) {
    const g = cores[k - 1] as tf.Variable;
    const [r0, mk, nk, r1] = g.shape as [number, number, number, number];
    const w = tf.tidy(() => tf.reshape(tf.transpose(g, [2, 3, 0, 1]), [nk * r1, r0 * mk]));
    y = b.layer(
      'Dense',
      `${ctx.base}_core${k}`,
      { units: r0 * mk, activation: 'linear', use_bias: false },
      [y],
      [done, prodN(k - 1), r0 * mk],
      [['kernel', w]],
    );
    w.dispose();
    const nPrev = k >= 2 ? (n[k - 2] as number) : 1;
    const jPrev = k >= 2 ? prodN(k - 2) : 1;
    y = b.layer(
      'Reshape',
      `${ctx.base}_unfold${k}`,
      { target_shape: [done, jPrev, nPrev, r0, mk] },
      [y],
      [done, jPrev, nPrev, r0, mk],
    );
    y = b.layer('Permute', `${ctx.base}_move${k}`, { dims: [5, 1, 2, 3, 4] }, [y], [mk, done, jPrev, nPrev, r0]);
    done *= mk;
    y = b.layer(
      'Reshape',
      `${ctx.base}_fold${k}`,
      { target_shape: [done, jPrev, nPrev * r0] },
      [y],
      [done, jPrev, nPrev * r0],
    );
  }
  const t = m.outFeatures;
  if (m.bias === null)
    return { output: b.layer('Reshape', ctx.base, { target_shape: [t] }, [y], [t]), form: 'factorized' };
  y = b.layer('Reshape', `${ctx.base}_pixels`, { target_shape: [1, 1, t] }, [y], [1, 1, t]);
  const ones = tf.ones([1, 1, t, 1]);
  y = b.layer(
    'DepthwiseConv2D',
    `${ctx.base}_bias`,
    {
      kernel_size: [1, 1],
      strides: [1, 1],
      padding: 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      depth_multiplier: 1,
      activation: 'linear',
      use_bias: true,
    },
    [y],
    [1, 1, t],
    [
      ['depthwise_kernel', ones],
      ['bias', m.bias],
    ],
  );
  ones.dispose();
  return { output: b.layer('Reshape', ctx.base, { target_shape: [t] }, [y], [t]), form: 'factorized' };
};

/**
 * The low-rank linear (a 2-core TT with rowDims `[1, T]`, colDims `[S, 1]`: W = A·B, A `[S, R]`,
 * B `[R, T]`) → Dense (S→R, no bias) → Dense (R→T, bias).
 */
function exportLowRank(m: TTLinear, x: KerasRef, ctx: Parameters<KerasExporter>[2]): ReturnType<KerasExporter> {
  const [g1, g2] = m.cores as [tf.Variable, tf.Variable];
  const r = g1.shape[3] as number;
  const a = tf.reshape(g1, [m.inFeatures, r]);
  const bm = tf.reshape(g2, [r, m.outFeatures]);
  const b = ctx.builder;
  let y = b.layer(
    'Dense',
    `${ctx.base}_in`,
    { units: r, activation: 'linear', use_bias: false },
    [x],
    [r],
    [['kernel', a]],
  );
  y = b.layer(
    'Dense',
    `${ctx.base}_out`,
    { units: m.outFeatures, activation: 'linear', use_bias: m.bias !== null },
    [y],
    [m.outFeatures],
    m.bias === null
      ? [['kernel', bm]]
      : [
          ['kernel', bm],
          ['bias', m.bias],
        ],
  );
  tf.dispose([a, bm]);
  return { output: y, form: 'factorized' };
}
