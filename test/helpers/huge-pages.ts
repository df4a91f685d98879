/**
 * Whether memory is marked for transparent huge pages, read from
 * /proc/self/smaps: for the tests of the buffers mtl advises
 * (src/runtime/backend/huge-pages.ts and its callers).
 */
import { readFileSync } from "node:fs";
import { loadKoffi } from "../../src/runtime/backend/koffi.js";

const koffi = loadKoffi();

/** Where the advice can be given: Linux with koffi. Elsewhere every call must decline. */
export const canAdvise = process.platform === "linux" && typeof koffi !== "string";

/** The VmFlags of the mapping holding `address` in /proc/self/smaps ("hg": advised to use huge pages). */
export function vmFlags(address: bigint): string[] {
  for (const block of readFileSync("/proc/self/smaps", "utf8").split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const [start, end] = block.slice(0, block.indexOf(" ")).split("-").map((h) => BigInt(`0x${h}`));
    if (address >= start! && address < end!) return (/VmFlags:(.*)/.exec(block)?.[1] ?? "").trim().split(/\s+/);
  }
  throw new Error(`no mapping holds 0x${address.toString(16)}`);
}

/** An address inside `view` that a 2 MiB page aligned within it covers (views of at least 4 MiB have one). */
export function alignedInside(view: ArrayBufferView): bigint {
  const start = (koffi as Exclude<typeof koffi, string>).address(view);
  const huge = 2n * 1024n * 1024n;
  return ((start + huge - 1n) / huge) * huge;
}
