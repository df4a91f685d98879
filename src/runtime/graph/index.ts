export { buildModel, type BuiltModel, type TaskOutputIndex } from "./build-model.js";
export { forward, modelInputs, predictTasks, type FeatureTensors } from "./forward.js";
export { createTrainStep, type StepLosses, type StepRunOptions, type TrainBatch, type TrainStep, type TrainStepOptions } from "./train-step.js";
export type { NamedArray, TrainStepState } from "./step-state.js";
export { createOptimizer } from "./optimizer.js";
export { fileSystemHandler, loadModel, saveModel, MODEL_JSON } from "./save-load.js";
export { AitAttention, ClampIds, MaskedSequencePooling, type PoolMode } from "../../portable/layers.js";
export { deriveSeed } from "../../plan/seed.js";
export { assertModelFits, modelSize, type ModelSize } from "./model-size.js";
