import { AdaTuckerLayer, adaTuckerKind, scadaTuckerKind } from '../factorized/ada-tucker.js';
import { CPConv2d, cpKind } from '../factorized/cp-conv2d.js';
import { denseKind } from '../factorized/dense-kind.js';
import { SharedCore } from '../factorized/shared-core.js';
import { TTConv2d, ttConvKind } from '../factorized/tt-conv2d.js';
import { TTLinear, ttLinearKind } from '../factorized/tt-linear.js';
import { Tucker2Conv2d, tucker2Kind, tuckerKind } from '../factorized/tucker2-conv2d.js';
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

// THE list of built-in kinds. Each layer file registers its module kind (registerModule) and each
// factorized kind file its descriptor (registerFactorizedKind) when it is evaluated. A bundler
// that drops the modules a page never references (Vite/Rolldown on the TypeScript sources ignores
// the package's `sideEffects` list) would drop those registrations too, and load() would fail with
// "unknown module kind 'sequential'" in the browser, factorize() with "unknown plan kind". load(),
// factorize() and planCost() call builtinKindCount(), a real use of every entry, so any bundle
// that contains one of them contains every built-in kind. A new built-in kind adds one line here.
const BUILTIN_KINDS: readonly unknown[] = [
  // Dense and structural layers.
  AvgPool,
  BatchNorm,
  ChannelPadShortcut,
  Conv2d,
  Dropout,
  Flatten,
  GlobalAvgPool,
  Linear,
  MaxPool,
  ReLU,
  Residual,
  Sequential,
  // Factorized layers (module classes) and their kinds (FactorizedKind descriptors).
  AdaTuckerLayer,
  CPConv2d,
  SharedCore,
  TTConv2d,
  TTLinear,
  Tucker2Conv2d,
  denseKind,
  tucker2Kind,
  tuckerKind,
  cpKind,
  ttConvKind,
  ttLinearKind,
  adaTuckerKind,
  scadaTuckerKind,
  Activation,
  Add,
  Concatenate,
  DepthwiseConv2d,
  Graph,
  Reshape,
  ZeroPad2d,
];

/** The number of built-in entries (keeps their registrations in every bundle that loads or factorizes models). */
export function builtinKindCount(): number {
  let n = 0;
  for (const c of BUILTIN_KINDS) if (c !== undefined && c !== null) n++;
  return n;
}
