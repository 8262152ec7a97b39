import { Conv2d } from '@tnzip/layers';
import { fromTf, TnzipError, unfold64 } from '@tnzip/tensor';
import { planAndCost, type RankSpaceProvider, registerRankSpace } from './rank-space-registry.js';

/**
 * Format `'tucker2'` of a Conv2d: Tucker-2 with ranks R_S, R_T of the mode-S and mode-T
 * unfoldings of the kernel (`S × k_h·k_w·T`, `T × k_h·k_w·S`).
 */
export const tucker2ConvSpace: RankSpaceProvider = {
  format: 'tucker2',
  appliesTo: (c) => c.layer instanceof Conv2d,
  space(c) {
    const layer = c.layer as Conv2d;
    const [kh, kw] = layer.kernelSize;
    const s = layer.inChannels;
    const t = layer.outChannels;
    return {
      ...c,
      format: 'tucker2',
      key: 'tucker2',
      modes: ['S', 'T'],
      bounds: [Math.min(s, kh * kw * t), Math.min(t, kh * kw * s)],
      unfoldingShapes: [
        [s, kh * kw * t],
        [t, kh * kw * s],
      ],
      ...planAndCost(c, 2, (r) => ({ kind: 'tucker2', rankS: r[0] as number, rankT: r[1] as number })),
      ranksOf: (p) => {
        if (p.kind !== 'tucker2' || p.rankS === null || p.rankT === null)
          throw new TnzipError(
            'INVALID_ARGUMENT',
            `layer '${c.path}': expected a Tucker-2 plan with both ranks, got ${JSON.stringify(p)}`,
          );
        return [p.rankS, p.rankT];
      },
      // Kernel [k_h, k_w, S, T]: S is mode 2, T mode 3.
      unfolding: (mode) => unfold64(fromTf(layer.weight, `${c.path}.weight`), mode === 0 ? 2 : 3),
    };
  },
};

registerRankSpace(tucker2ConvSpace);
