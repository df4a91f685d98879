export { computeLoss, logitLeaves } from "./compute-loss.js";
export { bceWithLogits, bceWithLogitProduct, logSigmoid } from "./bce.js";
export { squaredError, huber } from "./regression.js";
export { maskedMean } from "./masked-mean.js";
export { createUncertaintyWeights, uncertaintyTerm, type UncertaintyWeights } from "./uncertainty.js";
export type { LossBatch, LossResult, TaskOutputs } from "./types.js";
export { debiasedLoss, type DebiasInputs } from "./debias.js";
