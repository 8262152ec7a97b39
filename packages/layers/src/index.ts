export { cacheOnCpu } from './cache-on-cpu.js';
export type { PlanCostOptions } from './cost/plan-cost.js';
export { planCost } from './cost/plan-cost.js';
export type { Summary, SummaryRow } from './cost/summary.js';
export { countParams, formatSummary, layerCosts, summary } from './cost/summary.js';
export type {
  ChooseOptions,
  Execution,
  ExecutionChoice,
  ExecutionPlan,
  LayerExecution,
} from './exec/choose-executions.js';
export { applyExecutions, chooseExecutions, chosenExecutions, factorizedLayers } from './exec/choose-executions.js';
export type { ExecutionTarget } from './exec/execution-target.js';
export { currentTarget, targetKey } from './exec/execution-target.js';
export type { ModelSpeed } from './exec/not-slower.js';
export { compareWithDense } from './exec/not-slower.js';
export type { OptimizedExecutions, OptimizeOptions } from './exec/optimize-executions.js';
export { confirmedSlower, optimizeExecutions } from './exec/optimize-executions.js';
export type { HonouredExecutions, StoredExecution } from './exec/stored-executions.js';
export {
  EXECUTIONS_META_KEY,
  honourExecutions,
  loadForInference,
  storedExecution,
  withExecutions,
} from './exec/stored-executions.js';
export type { TimingOptions } from './exec/time-interleaved.js';
export { timeInterleaved } from './exec/time-interleaved.js';
export { withCheapestExecution } from './exec/training-execution.js';
export type { AdaFromDenseOptions, AdaInit, AdaTarget, AdaTuckerOptions } from './factorized/ada-tucker.js';
export {
  ADA_INITS,
  AdaTuckerLayer,
  adaCost,
  adaTuckerKind,
  checkAdaPlan,
  isDerivedBuffer,
  scadaTuckerKind,
} from './factorized/ada-tucker.js';
export type { FactorizedConvOptions } from './factorized/conv-options.js';
export type { CPConv2dOptions, CPFromDenseOptions } from './factorized/cp-conv2d.js';
export { CPConv2d, checkCpRank, cpCost, cpKind } from './factorized/cp-conv2d.js';
export type { ConvFacts } from './factorized/dense-conv.js';
export { denseKind } from './factorized/dense-kind.js';
export { costInMode, effectiveModeOf, resolveMode } from './factorized/execution.js';
export type { FactorizeOptions } from './factorized/factorize.js';
export { factorize, factorizeLayer } from './factorized/factorize.js';
export { FactorizedModule } from './factorized/factorized-module.js';
export type {
  BuiltLayer,
  FactorizeContext,
  FactorizedKind,
  KindCost,
  KindCostOptions,
  PlanLike,
} from './factorized/kind.js';
export {
  factorizedKindFor,
  factorizedKindOfModule,
  registeredPlanKinds,
  registerFactorizedKind,
} from './factorized/kind-registry.js';
export type { SharedCoreUser } from './factorized/shared-core.js';
export { adaCoreShape, linkSharedCores, SharedCore } from './factorized/shared-core.js';
export type { TTConv2dOptions } from './factorized/tt-conv2d.js';
export { checkTTConvPlan, TTConv2d, ttConvCost, ttConvKind } from './factorized/tt-conv2d.js';
export type { LinearFacts, TTLinearOptions } from './factorized/tt-linear.js';
export { checkTTMatrixPlan, TTLinear, ttLinearCost, ttLinearKind } from './factorized/tt-linear.js';
export type { Tucker2Conv2dOptions } from './factorized/tucker2-conv2d.js';
export {
  checkTucker2Ranks,
  Tucker2Conv2d,
  tucker2Cost,
  tucker2Kind,
  tuckerAsTucker2,
  tuckerKind,
} from './factorized/tucker2-conv2d.js';
export { defaultSeed, glorotUniform, heNormal, seedFromName, uniformInit } from './init.js';
export type { LoadedModel } from './io/load.js';
export { load, verifyModelFiles } from './io/load.js';
export { MAX_PATH_COMPONENTS, makeDirectory } from './io/make-directory.js';
export type { ModelJson, SaveMeta } from './io/model-json.js';
export { MODEL_FORMAT, MODEL_FORMAT_VERSION, MODEL_FORMAT_VERSIONS, parseModelJson } from './io/model-json.js';
export type { ParamShapeReporter, ParamShapes } from './io/param-shapes.js';
export { registerParamShapes } from './io/param-shapes.js';
export { rewriteMeta } from './io/rewrite-meta.js';
export { save, saveToMemory } from './io/save.js';
export type { StorageEncoding } from './io/storage.js';
export {
  bytesPerElement,
  checkStorage,
  roundToStorage,
  STORAGE_ENCODINGS,
  storageBytes,
  storedElements,
} from './io/storage.js';
export type { ExportedLayer, KerasRef } from './keras/export-builder.js';
export { KerasModelBuilder } from './keras/export-builder.js';
export type { ExportContext, ExportResult, KerasExporter } from './keras/export-common.js';
export { exportCP } from './keras/export-cp.js';
export type { ExportLayersOptions, ExportReport } from './keras/export-model.js';
export { exportLayersModel, formatExportReport, KERAS_EXPORTERS } from './keras/export-model.js';
export { exportReconstructed } from './keras/export-reconstructed.js';
export { exportTTConv, exportTTLinear } from './keras/export-tt.js';
export { exportTucker2 } from './keras/export-tucker2.js';
export { SUPPORTED_KERAS_LAYERS } from './keras/import-layers.js';
export type { ImportedModel } from './keras/import-model.js';
export { importLayersModel } from './keras/import-model.js';
export type { KerasLayerSpec, KerasTopology } from './keras/keras-topology.js';
export { parseKerasTopology } from './keras/keras-topology.js';
export { layersModelJsonPath, readLayersModelFiles, writeLayersModelFiles } from './keras/node-files.js';
export type { WeightQuantization } from './keras/quantize.js';
export { quantizeWeights } from './keras/quantize.js';
export type { ActivationFunction } from './layers/activation.js';
export { ACTIVATION_FUNCTIONS, Activation } from './layers/activation.js';
export { AvgPool } from './layers/avg-pool.js';
export type { BatchNormOptions } from './layers/batch-norm.js';
export { BatchNorm } from './layers/batch-norm.js';
export type { ChannelPadShortcutOptions } from './layers/channel-pad-shortcut.js';
export { ChannelPadShortcut } from './layers/channel-pad-shortcut.js';
export type { Conv2dOptions } from './layers/conv2d.js';
export { Conv2d } from './layers/conv2d.js';
export type { DepthwiseConv2dOptions } from './layers/depthwise-conv2d.js';
export { DepthwiseConv2d } from './layers/depthwise-conv2d.js';
export type { DropoutOptions } from './layers/dropout.js';
export { Dropout } from './layers/dropout.js';
export { Flatten } from './layers/flatten.js';
export { GlobalAvgPool } from './layers/global-avg-pool.js';
export type { GraphNode, GraphOptions } from './layers/graph.js';
export { Graph } from './layers/graph.js';
export type { LinearOptions } from './layers/linear.js';
export { Linear } from './layers/linear.js';
export { MaxPool } from './layers/max-pool.js';
export { Add, Concatenate, Merge } from './layers/merge.js';
export type { Pool2dOptions } from './layers/pool2d.js';
export { Pool2d } from './layers/pool2d.js';
export { ReLU } from './layers/relu.js';
export { Reshape } from './layers/reshape.js';
export type { ResidualOptions } from './layers/residual.js';
export { Residual } from './layers/residual.js';
export { chainCost, Sequential } from './layers/sequential.js';
export type { ZeroPads } from './layers/zero-pad2d.js';
export { ZeroPad2d } from './layers/zero-pad2d.js';
export type { ApplyOptions, CaptureResult, Cost, ForwardContext, ModuleConfig, ModuleState, Shape } from './module.js';
export { Module } from './module.js';
export type { ExportOnnxOptions, OnnxExportedLayer, OnnxExportReport } from './onnx/export-onnx.js';
export { exportOnnxModel, formatOnnxExportReport, ONNX_EXPORTERS } from './onnx/export-onnx.js';
export { ONNX_MODEL_FILE, writeOnnxFile } from './onnx/node-file.js';
export type { OnnxAttribute, OnnxRef } from './onnx/onnx-builder.js';
export { ONNX_OPSET, OnnxGraphBuilder } from './onnx/onnx-builder.js';
export type { OnnxExportContext, OnnxExporter, OnnxExportResult } from './onnx/onnx-common.js';
export type { Padding, Pads } from './ops/conv-geometry.js';
export { convOutputShape, resolvePads } from './ops/conv-geometry.js';
export { fakeQuantize, quantizeDequantize } from './ops/fake-quant.js';
export type { FastConv2dOptions } from './ops/fast-conv2d.js';
export { fastConv2d } from './ops/fast-conv2d.js';
export { fastMatMul } from './ops/fast-matmul.js';
export { withStockGradients } from './ops/register-gradients.js';
export type { ExecutionMode, FactorizationPlan, LayerPlan, LayerPlanKind, LayerPlanTypes } from './plan.js';
export type { ModuleFactory } from './registry.js';
export { createModule, registeredKinds, registerModule } from './registry.js';
