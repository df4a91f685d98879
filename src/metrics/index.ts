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
export { calibrationBins, expectedCalibrationError, normalizedEntropy, CALIBRATION_BINS, NE_EPSILON, type CalibrationBin } from "./calibration.js";
export { groupedAuc, type GroupedAuc } from "./gauc.js";
