/**
 * Finding a Python that can import torch. Debian's python3-torch lives in
 * /usr/bin/python3, which may not be the python3 on PATH (a pyenv or venv
 * one without torch), so both are tried. `mtl train --engine torch`, the
 * tests of the torch back end and the training benchmark's peer use it.
 */
import { spawnSync } from "node:child_process";

export const TORCH_MISSING_HINT = "install python3-torch: apt-get install python3-torch";

const CANDIDATES = ["/usr/bin/python3", "python3"];

export type TorchPython = { found: true; python: string; version: string } | { found: false; why: string };

/** The first interpreter that can import torch: the given one, or the candidates in order. */
export function findTorchPython(explicit?: string): TorchPython {
  const tried: string[] = [];
  for (const python of explicit === undefined ? CANDIDATES : [explicit]) {
    const probe = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    if (probe.status === 0) return { found: true, python, version: probe.stdout.trim() };
    const why = probe.error?.message ?? lastLine(probe.stderr) ?? `exit code ${probe.status}`;
    tried.push(`${python}: ${why}`);
  }
  return { found: false, why: tried.join("; ") };
}

function lastLine(text: string | null): string | undefined {
  return text?.trim().split("\n").at(-1) || undefined;
}
