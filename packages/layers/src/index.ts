export { Module } from './module.js';
export type { ApplyOptions, CaptureResult, Cost, ForwardContext, ModuleConfig, Shape } from './module.js';
export type { ExecutionMode, FactorizationPlan, LayerPlan, LayerPlanKind } from './plan.js';
