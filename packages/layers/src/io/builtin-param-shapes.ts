import { adaCoreShape } from '../factorized/shared-core.js';
import type { ModuleConfig } from '../module.js';
import { dimField, dimListField, pairField, registerParamShapes } from './param-shapes.js';

// Parameter shapes of the built-in kinds, read from their configs without building them (see
// registerParamShapes). builtin-param-shapes.test.ts checks every entry against the shapes the
// real classes allocate, so a change of a layer's parameters that is not mirrored here fails there.

type Shapes = Array<[string, number[]]>;
const withBias = (c: ModuleConfig, shapes: Shapes, t: number): Shapes =>
  c.bias === false ? shapes : [...shapes, ['bias', [t]]];
const none = () => ({ stored: [] });
let registered = false;

/** Registers the reporters of the built-in kinds (idempotent; load calls it). */
export function registerBuiltinParamShapes(): void {
  if (registered) return;
  registered = true;
  registerParameterless();
  registerDense();
  registerFactorized();
}

function registerParameterless(): void {
  for (const kind of [
    'sequential',
    'residual',
    'relu',
    'flatten',
    'dropout',
    'max-pool',
    'avg-pool',
    'global-avg-pool',
    'channel-pad-shortcut',
    'graph',
    'add',
    'concatenate',
    'activation',
    'reshape',
    'zero-pad2d',
  ])
    registerParamShapes(kind, none);
}

function registerDense(): void {
  registerParamShapes('linear', (c) => {
    const s = dimField(c, 'inFeatures');
    const t = dimField(c, 'outFeatures');
    return { stored: withBias(c, [['weight', [s, t]]], t) };
  });

  registerParamShapes('conv2d', (c) => {
    const [kh, kw] = pairField(c, 'kernelSize');
    const t = dimField(c, 'outChannels');
    return { stored: withBias(c, [['weight', [kh, kw, dimField(c, 'inChannels'), t]]], t) };
  });

  registerParamShapes('depthwise-conv2d', (c) => {
    const [kh, kw] = pairField(c, 'kernelSize');
    const channels = dimField(c, 'channels');
    const multiplier = dimField(c, 'depthMultiplier');
    return { stored: withBias(c, [['weight', [kh, kw, channels, multiplier]]], channels * multiplier) };
  });

  registerParamShapes('batch-norm', (c) => {
    const n = dimField(c, 'numFeatures');
    return {
      stored: [
        ['weight', [n]],
        ['bias', [n]],
        ['runningMean', [n]],
        ['runningVar', [n]],
      ],
    };
  });
}

function registerFactorized(): void {
  registerParamShapes('tucker2-conv2d', (c) => {
    const s = dimField(c, 'inChannels');
    const t = dimField(c, 'outChannels');
    const [kh, kw] = pairField(c, 'kernelSize');
    const rs = c.rankS === null ? null : dimField(c, 'rankS');
    const rt = c.rankT === null ? null : dimField(c, 'rankT');
    const shapes: Shapes = [];
    if (rs !== null) shapes.push(['first', [s, rs]]);
    shapes.push(['core', [kh, kw, rs ?? s, rt ?? t]]);
    if (rt !== null) shapes.push(['last', [rt, t]]);
    return { stored: withBias(c, shapes, t) };
  });

  registerParamShapes('cp-conv2d', (c) => {
    const s = dimField(c, 'inChannels');
    const t = dimField(c, 'outChannels');
    const [kh, kw] = pairField(c, 'kernelSize');
    const r = dimField(c, 'rank');
    const shapes: Shapes = [
      ['first', [s, r]],
      ['vertical', [kh, r]],
      ['horizontal', [kw, r]],
      ['last', [r, t]],
    ];
    return { stored: withBias(c, shapes, t) };
  });

  registerParamShapes('tt-linear', (c) => {
    const t = dimField(c, 'outFeatures');
    dimField(c, 'inFeatures');
    const rd = dimListField(c, 'rowDims');
    const cd = dimListField(c, 'colDims');
    const full = [1, ...dimListField(c, 'ranks'), 1];
    const shapes: Shapes = rd.map((m, k) => [`core${k}`, [full[k] ?? 1, m, cd[k] ?? 1, full[k + 1] ?? 1]]);
    return { stored: withBias(c, shapes, t) };
  });

  registerParamShapes('tt-conv2d', (c) => {
    const t = dimField(c, 'outChannels');
    dimField(c, 'inChannels');
    const [kh, kw] = pairField(c, 'kernelSize');
    const cd = dimListField(c, 'colDims');
    const rd = dimListField(c, 'rowDims');
    const full = [1, ...dimListField(c, 'ranks'), 1];
    const n = cd.length;
    const r = (i: number): number => full[i] ?? 1;
    const shapes: Shapes = [
      ...cd.map((sa, a): [string, number[]] => [`in${a}`, [r(a), sa, r(a + 1)]]),
      ['spatial', [kh, kw, r(n), r(n + 1)]],
      ...rd.map((tb, b): [string, number[]] => [`out${b}`, [r(n + 1 + b), tb, r(n + 2 + b)]]),
    ];
    return { stored: withBias(c, shapes, t) };
  });

  registerParamShapes('shared-core', (c) => ({ stored: [['core', adaCoreShape(dimListField(c, 'ranks'))]] }));

  registerParamShapes('ada-tucker', (c) => {
    const target = (typeof c.target === 'object' && c.target !== null ? c.target : {}) as ModuleConfig;
    const tc = { ...target, kind: 'ada-tucker target', name: c.name };
    const wShape =
      target.type === 'conv2d'
        ? [...pairField(tc, 'kernelSize'), dimField(tc, 'inChannels'), dimField(tc, 'outChannels')]
        : [dimField(tc, 'inFeatures'), dimField(tc, 'outFeatures')];
    const dims = dimListField(c, 'dims');
    const ranks = dimListField(c, 'ranks');
    const shapes: Shapes = dims.map((m, i) => [`factor${i}`, [m, ranks[i] ?? 1]]);
    if (c.group === null || c.group === undefined) shapes.push(['core', adaCoreShape(ranks)]);
    else shapes.push(['scale', [1]]);
    const withB = withBias(c, shapes, wShape[wShape.length - 1] ?? 1);
    if (c.group !== null && c.group !== undefined && c.ownsCore === true)
      withB.push(['sharedCore.core', adaCoreShape(ranks)]);
    return { stored: withB, derivedElements: wShape.reduce((a, d) => a * d, 1) };
  });
}
