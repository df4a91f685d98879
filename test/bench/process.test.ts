/**
 * The whole-process benchmark (bench/process): its PyTorch script builds the
 * same model as mtl for every workload (the same parameter count, counted on
 * both built models), refuses a spec that is not its MMoE, and a --quick run
 * times both sides end to end and reports their ratio.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBenchmark, reportTable } from "../../bench/process/index.js";
import { NotPeerModel, peerConfig } from "../../bench/process/peer-config.js";
import { findPeerPython, torchParams } from "../../bench/process/run.js";
import { PROCESS_WORKLOAD_IDS, processWorkload } from "../../bench/process/workloads.js";
import { compileSource } from "../../src/compiler.js";
import { buildModel } from "../../src/runtime/graph/index.js";
import { torchOrSkip } from "../codegen/torch/torch-helpers.js";

function compiled(text: string, name: string) {
  const result = compileSource(text, name);
  assert.ok(result.ir, `${name}: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return result.ir;
}

for (const id of PROCESS_WORKLOAD_IDS) {
  test(`${id}: the PyTorch script builds as many parameters as mtl's model`, async (t) => {
    const python = torchOrSkip(t);
    if (python === null) return;
    const workload = processWorkload(id, false);
    const ir = compiled(workload.specText, `${id}.mtl`);
    const dir = mkdtempSync(join(tmpdir(), "mtl-process-params-"));
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify(peerConfig(ir, { file: "unused.csv", epochs: 1, threads: 1, out: join(dir, "m.pt") })));
    const built = buildModel(ir);
    const mtlParams = built.model.countParams();
    built.model.dispose();
    assert.equal(await torchParams(python, config, 120_000), mtlParams);
  });
}

test("the peer refuses a spec that is not the MMoE it implements", () => {
  const text = processWorkload("mmoe-synthetic", true).specText.replace("expert e[8] = mlp(x, [16])", "expert e[8] = mlp(x, [16], dropout: 0.1)");
  assert.notEqual(text, processWorkload("mmoe-synthetic", true).specText, "the spec's expert line changed; update this test");
  assert.throws(() => peerConfig(compiled(text, "dropout.mtl"), { file: "x.csv", epochs: 1, threads: 1, out: "m.pt" }), NotPeerModel);
});

test("--quick times mtl train and the PyTorch script as fresh processes and reports their ratio", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const peer = findPeerPython(python);
  if (!peer.found) {
    assert.notEqual(process.env["CI"], "true", `the PyTorch script needs pandas under CI (apt-get install python3-pandas): ${peer.why}`);
    t.skip(`pandas not installed: ${peer.why}`);
    return;
  }
  const options = { rounds: 1, quick: true, threads: 1, workloads: ["mmoe-synthetic" as const], work: mkdtempSync(join(tmpdir(), "mtl-process-bench-")), python, timeoutSeconds: 300 };
  const [result] = await runBenchmark(options, () => {});
  assert.equal(result!.mtl.length, 1);
  assert.equal(result!.torch.length, 1);
  assert.equal(result!.torch[0]!.params, result!.params);
  // Training steps are a part of each process's wall time (mtl prints them to 10 ms, and the quick
  // workload's 32 fused steps can take less than 5 ms).
  assert.ok(result!.mtl[0]!.trainMs >= 0 && result!.mtl[0]!.trainMs < result!.mtlWallMs);
  assert.ok(result!.torch[0]!.trainMs > 0 && result!.torch[0]!.trainMs < result!.torchWallMs!);
  assert.ok(Math.abs(result!.ratio! - result!.torchWallMs! / result!.mtlWallMs) < 1e-12);
  assert.match(reportTable([result!], options), /\| MMoE synthetic .* \| \d+\.\d\d s \| \d+\.\d\d s \| \d+\.\d\d \|/);
});
