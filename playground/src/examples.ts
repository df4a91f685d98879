/** The example specs of the repository (specs/*.mtl), bundled into the page (test/playground checks that none is missing), and the MMoE experiment's synthetic spec. */
import aitm from "mtl-text:specs/aitm.mtl";
import censusMmoe from "mtl-text:specs/census-mmoe.mtl";
import escm2 from "mtl-text:specs/escm2.mtl";
import esmmMmoeGmv from "mtl-text:specs/esmm-mmoe-gmv.mtl";
import esmm from "mtl-text:specs/esmm.mtl";
import esmmWeighted from "mtl-text:specs/esmm-weighted.mtl";
import mmoe from "mtl-text:specs/mmoe.mtl";
import omoe from "mtl-text:specs/omoe.mtl";
import ple from "mtl-text:specs/ple.mtl";
import sharedBottom from "mtl-text:specs/shared-bottom.mtl";
import sharedBottomGradnorm from "mtl-text:specs/shared-bottom-gradnorm.mtl";
import { syntheticSpec } from "../../src/experiments/mmoe-synthetic/specs.js";
import { MMOE_DEFAULTS } from "../../src/data/synthetic/mmoe.js";

/** The one example not in specs/. */
export const GENERATED_EXAMPLE = "mmoe-synthetic.mtl";

export const EXAMPLES: Record<string, string> = {
  "shared-bottom.mtl": sharedBottom,
  "omoe.mtl": omoe,
  "mmoe.mtl": mmoe,
  "ple.mtl": ple,
  "esmm.mtl": esmm,
  "esmm-mmoe-gmv.mtl": esmmMmoeGmv,
  "census-mmoe.mtl": censusMmoe,
  "aitm.mtl": aitm,
  "escm2.mtl": escm2,
  "shared-bottom-gradnorm.mtl": sharedBottomGradnorm,
  "esmm-weighted.mtl": esmmWeighted,
  // The MMoE paper's synthetic regression, as the experiment writes it (`npm run experiments`);
  // it trains on the MMoE generator (src/data/synthetic/mmoe.ts), the others on the ESMM world (esmm-weighted.mtl on its log view).
  [GENERATED_EXAMPLE]: syntheticSpec("mmoe", 0, { lr: 0.001, batch: 128, epochs: 15, seed: 1 }, MMOE_DEFAULTS.inputDim),
};

export const DEFAULT_EXAMPLE = "mmoe.mtl";
