import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../../src/util/package-root.js";

/** Sources that tsc does not copy into the outDir live in the repository itself. */
export const specPath = (file: string): string => join(packageRoot(), "bench", "train", "specs", file);
export const torchPeerScript = (): string => join(packageRoot(), "bench", "train", "torch_peer.py");

/** The compiled mtl child, next to this compiled file. */
export const mtlChildScript = (): string => fileURLToPath(new URL("./mtl-child.js", import.meta.url));
