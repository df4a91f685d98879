export { auc } from "./auc.js";
export { logLoss, rmse, mae, LOG_LOSS_EPSILON } from "./pointwise.js";
export {
  TaskMetricAccumulator,
  type TaskKind,
  type TaskMetrics,
  type TaskMetricsFor,
  type BinaryTaskMetrics,
  type RegressionTaskMetrics,
} from "./accumulator.js";
export { GrowableFloat64Array } from "./growable.js";
