import type { Cost, Module, Shape } from '../module.js';
import type { ExecutionMode } from '../plan.js';

/** Any plan a kind can handle: a tagged object (the built-in ones are the members of `LayerPlan`). */
export interface PlanLike {
  readonly kind: string;
}

/**
 * A factorized layer's cost for one example in both executions, from the one formula of its
 * kind: the layer's own `cost()` and `planCost` both evaluate it, so each formula exists once.
 * `factorizedMacs` is the chain of small ops, `denseMacs` the dense op on the rebuilt weight
 * (equal for kinds without execution modes, such as ADA-Tucker).
 */
export interface KindCost {
  readonly params: number;
  readonly factorizedMacs: number;
  readonly denseMacs: number;
  readonly outputShape: Shape;
}

/** Options of {@link FactorizedKind.cost}. */
export interface KindCostOptions {
  /** Execution mode the layer would run in. */
  readonly mode: ExecutionMode;
  /** For kinds whose layers share a part (SCADA's core): whether this layer counts it. */
  readonly ownsSharedCore: boolean;
}

/** What `factorize` hands every kind's {@link FactorizedKind.fromDense}. */
export interface FactorizeContext {
  /** Execution mode of the layer built (kinds without modes ignore it). */
  readonly mode: ExecutionMode;
  /** Seed of the random parts (CP-ALS init, random ADA init). */
  readonly seed: number;
  /** ADA/SCADA init (`AdaInit`): HOSVD of the pretrained weight (norm kept or not) or seeded random. */
  readonly adaInit: 'decompose' | 'decompose-norm' | 'random';
  /**
   * State shared by the layers of one `factorize` call, in depth-first module order (SCADA keeps
   * each group's core here: the first layer of a group owns it). Key it by the kind's name.
   */
  readonly shared: Map<string, unknown>;
}

/**
 * Everything the library knows about one factorized kind, in the kind's own file and registered
 * there ({@link registerFactorizedKind}) beside its module class (`registerModule`):
 * `factorize`, `planCost` and the rank selectors look kinds up instead of switching on them.
 *
 * A plan kind may have several descriptors, one per dense layer type it applies to (`'tt'`:
 * TT conv and TT linear); the registry picks the one whose {@link FactorizedKind.appliesTo}
 * accepts the layer. Adding a kind = one file with its module class, this descriptor and the two
 * registrations, plus one line in `io/builtin-kinds.ts` for bundled apps.
 *
 * @typeParam P the plan this kind takes (`{ kind: planKind, …ranks }`)
 */
export interface FactorizedKind<P extends PlanLike = PlanLike> {
  /** The `kind` of the plans this descriptor handles, e.g. `'tucker2'`. */
  readonly planKind: P['kind'];
  /** The module kinds (model-file `kind` tags) of the layers it builds, e.g. `['tucker2-conv2d']`. */
  readonly moduleKinds: readonly string[];
  /** Whether this descriptor factorizes `layer` (a dense layer: Conv2d, Linear, …). */
  appliesTo(layer: Module): boolean;
  /**
   * Checks `plan` against `layer` without building anything: ranks within their bounds
   * (INVALID_RANK), dims that fit the weight (SHAPE_MISMATCH), other fields (INVALID_ARGUMENT).
   * Messages name the plan field and its allowed range.
   */
  validate(layer: Module, plan: P): void;
  /**
   * Params, MACs per example of `inputShape` (no batch axis) and output shape of `layer`
   * factorized by a validated `plan`, computed from the plan alone — the same function the
   * built layer's `cost()` evaluates.
   */
  cost(layer: Module, plan: P, inputShape: Shape, options: KindCostOptions): Cost;
  /**
   * The factorized layer (same name) initialized from `layer`'s pretrained weights by this kind's
   * decomposition. Reads the dense weights synchronously (on webgpu `await cacheOnCpu` first).
   */
  fromDense(layer: Module, plan: P, context: FactorizeContext): Module;
  /**
   * Optional, for export to standard layers (tfjs Layers / ONNX): the built layer as a chain of
   * standard modules (Conv2d, Linear, depthwise convs) computing the same function. Not yet
   * implemented by any built-in kind.
   */
  toStandardLayers?(layer: Module): Module;
  /**
   * Optional, for storage quantization: how many bytes the built layer's weights take in a given
   * encoding (`'float32'`, `'uint8'`), so budgets in `storage` can be planned from the plan alone.
   * Not yet implemented by any built-in kind.
   */
  storageBytes?(layer: Module, plan: P, encoding: 'float32' | 'uint8'): number;
  /**
   * Optional, for measured latency: the executions worth timing for the built layer (e.g.
   * `'factorized'` and `'reconstructed'`), from which `chooseExecutions` keeps the fastest
   * (keeping the layer dense is a third candidate it adds itself where allowed). `layer` is
   * the built factorized layer; the Tucker-2, CP and TT kinds declare both modes.
   */
  candidateExecutions?(layer: Module, plan: P, inputShape: Shape): readonly ExecutionMode[];
  /**
   * Optional, for an initialization that spans layers: `factorize` calls it once every layer of
   * the call is built and before the dense layers are disposed, with the layers this kind built
   * (depth-first order) beside their dense originals and plans. SCADA-Tucker fits each group's
   * shared core to all its layers here. Reads dense weights synchronously, as `fromDense`.
   */
  finishBuild?(built: readonly BuiltLayer<P>[], context: FactorizeContext): void;
}

/** One layer `factorize` built: the dense original, its plan and the factorized module. */
export interface BuiltLayer<P extends PlanLike = PlanLike> {
  readonly dense: Module;
  readonly plan: P;
  readonly layer: Module;
}
