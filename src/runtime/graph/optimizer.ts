import * as tf from "#tfjs";
import type { OptimizerIR } from "../../ir/types.js";
import { InPlaceAdam } from "./in-place-adam.js";

/** The TF.js optimizer for train.optimizer, with every IR parameter passed through. */
export function createOptimizer(config: OptimizerIR): tf.Optimizer {
  switch (config.type) {
    case "adam":
      // tf.train.adam's math, in one pass per variable where the backend allows (in-place-adam.ts).
      return new InPlaceAdam(config.lr, config.beta1, config.beta2, config.epsilon);
    case "adagrad":
      return tf.train.adagrad(config.lr, config.initialAccumulator);
    case "sgd":
      // Plain SGD when momentum is 0: MomentumOptimizer would keep a useless slot per weight.
      return config.momentum === 0 ? tf.train.sgd(config.lr) : tf.train.momentum(config.lr, config.momentum);
    case "rmsprop":
      return tf.train.rmsprop(config.lr, config.decay, config.momentum, config.epsilon);
  }
}
