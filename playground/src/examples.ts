/** The example specs of the repository (specs/*.mtl), bundled into the page; test/playground checks that none is missing. */
import censusMmoe from "mtl-text:specs/census-mmoe.mtl";
import esmmMmoeGmv from "mtl-text:specs/esmm-mmoe-gmv.mtl";
import esmm from "mtl-text:specs/esmm.mtl";
import mmoe from "mtl-text:specs/mmoe.mtl";
import omoe from "mtl-text:specs/omoe.mtl";
import ple from "mtl-text:specs/ple.mtl";
import sharedBottom from "mtl-text:specs/shared-bottom.mtl";

export const EXAMPLES: Record<string, string> = {
  "shared-bottom.mtl": sharedBottom,
  "omoe.mtl": omoe,
  "mmoe.mtl": mmoe,
  "ple.mtl": ple,
  "esmm.mtl": esmm,
  "esmm-mmoe-gmv.mtl": esmmMmoeGmv,
  "census-mmoe.mtl": censusMmoe,
};

export const DEFAULT_EXAMPLE = "mmoe.mtl";
