/**
 * Feature and label encoding: raw records in, typed arrays out, with no
 * TensorFlow dependency. See encoder.ts for the batch layout the graph
 * builder relies on, and categorical.ts for the hash every id depends on.
 */
export { fitEncoding } from "./fit.js";
export { classCounts, LabelValueCounter, MAX_DISTINCT, type LabelValues } from "./label-values.js";
export { createEncoder, batchTargets, type Encoder, type EncodedBatch, type EncodedFeatures } from "./encoder.js";
export type { BadRowOptions } from "./rows.js";
export { numberColumns, type FeatureLayout } from "./plan.js";
export {
  ENCODING_STATE_VERSION,
  EncodingStateError,
  parseEncoding,
  serializeEncoding,
  validateEncoding,
  type EncodingState,
  type NumericStats,
} from "./state.js";
export { PAD_ID } from "./sequence.js";
export { FLOAT32_MAX } from "./numeric.js";
export { HASH_SEED, hashBucket, murmur3Bytes, murmur3String } from "../../portable/hash.js";
