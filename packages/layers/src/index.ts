export { Module } from './module.js';
export type { ApplyOptions, CaptureResult, Cost, ForwardContext, ModuleConfig, Shape } from './module.js';
export type { ExecutionMode, FactorizationPlan, LayerPlan, LayerPlanKind } from './plan.js';
export { createModule, registerModule, registeredKinds } from './registry.js';
export type { ModuleFactory } from './registry.js';
