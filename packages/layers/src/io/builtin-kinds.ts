import { AdaTuckerLayer } from '../factorized/ada-tucker.js';
import { CPConv2d } from '../factorized/cp-conv2d.js';
import { SharedCore } from '../factorized/shared-core.js';
import { TTConv2d } from '../factorized/tt-conv2d.js';
import { TTLinear } from '../factorized/tt-linear.js';
import { Tucker2Conv2d } from '../factorized/tucker2-conv2d.js';
import { Activation } from '../layers/activation.js';
import { AvgPool } from '../layers/avg-pool.js';
import { BatchNorm } from '../layers/batch-norm.js';
import { ChannelPadShortcut } from '../layers/channel-pad-shortcut.js';
import { Conv2d } from '../layers/conv2d.js';
import { DepthwiseConv2d } from '../layers/depthwise-conv2d.js';
import { Dropout } from '../layers/dropout.js';
import { Flatten } from '../layers/flatten.js';
import { GlobalAvgPool } from '../layers/global-avg-pool.js';
import { Graph } from '../layers/graph.js';
import { Linear } from '../layers/linear.js';
import { MaxPool } from '../layers/max-pool.js';
import { Add, Concatenate } from '../layers/merge.js';
import { ReLU } from '../layers/relu.js';
import { Reshape } from '../layers/reshape.js';
import { Residual } from '../layers/residual.js';
import { Sequential } from '../layers/sequential.js';
import { ZeroPad2d } from '../layers/zero-pad2d.js';

// Each layer file registers its kind (registerModule) when it is evaluated. A bundler that drops
// the modules a page never references (Vite/Rolldown on the TypeScript sources ignores the
// package's `sideEffects` list) would drop those registrations too, and load() would fail with
// "unknown module kind 'sequential'" in the browser. load() calls builtinKindCount(), a real use of
// every class, so any bundle that contains load() contains every built-in kind.
const BUILTIN_LAYER_CLASSES: readonly unknown[] = [
  AdaTuckerLayer,
  AvgPool,
  BatchNorm,
  ChannelPadShortcut,
  Conv2d,
  CPConv2d,
  Dropout,
  Flatten,
  GlobalAvgPool,
  Linear,
  MaxPool,
  ReLU,
  Residual,
  Sequential,
  SharedCore,
  TTConv2d,
  TTLinear,
  Tucker2Conv2d,
  Activation,
  Add,
  Concatenate,
  DepthwiseConv2d,
  Graph,
  Reshape,
  ZeroPad2d,
];

/** The number of built-in layer classes (keeps their registrations in every bundle that loads models). */
export function builtinKindCount(): number {
  let n = 0;
  for (const c of BUILTIN_LAYER_CLASSES) if (typeof c === 'function') n++;
  return n;
}
