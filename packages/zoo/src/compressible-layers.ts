import { Conv2d, Linear, type Module, Residual } from '@tnzip/layers';

/** Options of {@link compressibleLayers}. */
export interface CompressibleOptions {
  /** Include the first convolution when it reads S <= 3 input channels (default false). */
  readonly includeFirst?: boolean;
  /** Include the last Linear layer, the classifier (default false). */
  readonly includeClassifier?: boolean;
  /** Include 1×1 convolutions inside a residual shortcut (default false). */
  readonly includeShortcuts?: boolean;
}

/**
 * Full paths of the Conv2d and Linear layers that compression may factorize, in network order.
 *
 * Excluded by default, as the compression literature does: the first convolution when it has S <= 3
 * input channels (its unfolding has rank <= 27, so there is almost nothing to gain and much to lose),
 * the last Linear layer (the classifier), and 1×1 convolutions in residual shortcuts (already cheap
 * projections). Factorized layers already in the model are not listed (they are neither Conv2d nor Linear).
 */
export function compressibleLayers(model: Module, options: CompressibleOptions = {}): string[] {
  const modules = model.namedModules();
  const shortcutRoots: string[] = [];
  for (const [path, m] of modules) {
    if (m instanceof Residual && m.shortcut !== null) {
      const sc = m.children()[m.children().length - 1] as Module;
      shortcutRoots.push(path === '' ? sc.name : `${path}.${sc.name}`);
    }
  }
  const inShortcut = (p: string): boolean => shortcutRoots.some((r) => p === r || p.startsWith(`${r}.`));
  const layers = modules.filter(([, m]) => m instanceof Conv2d || m instanceof Linear);
  const firstConv = layers.find(([, m]) => m instanceof Conv2d)?.[0];
  const lastLinear = [...layers].reverse().find(([, m]) => m instanceof Linear)?.[0];
  const out: string[] = [];
  for (const [path, m] of layers) {
    if (m instanceof Conv2d) {
      if (options.includeFirst !== true && path === firstConv && m.inChannels <= 3) continue;
      if (options.includeShortcuts !== true && m.kernelSize[0] === 1 && m.kernelSize[1] === 1 && inShortcut(path))
        continue;
    }
    if (options.includeClassifier !== true && path === lastLinear) continue;
    out.push(path);
  }
  return out;
}
