export { checkBudget, formatBudget, parseBudget } from './budget.js';
export type { Budget, BudgetMetric } from './budget.js';
export type { Calibration, LayerReport, RankSelector, SelectionContext, SelectionReport } from './selector.js';
