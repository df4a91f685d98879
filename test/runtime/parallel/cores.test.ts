import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import { availableCores, coresWithin, parseCpuLimit } from "../../../src/runtime/parallel/cores.js";

test("a cgroup CPU limit is read from cgroup v2's cpu.max or v1's cfs quota and period", () => {
  assert.equal(parseCpuLimit({ cpuMax: "200000 100000\n" }), 2);
  assert.equal(parseCpuLimit({ cpuMax: "150000 100000" }), 1.5);
  assert.equal(parseCpuLimit({ cpuMax: "max 100000\n" }), null, "no quota");
  assert.equal(parseCpuLimit({ cfsQuota: "50000\n", cfsPeriod: "100000\n" }), 0.5);
  assert.equal(parseCpuLimit({ cfsQuota: "-1\n", cfsPeriod: "100000\n" }), null, "v1 without a quota");
  assert.equal(parseCpuLimit({ cpuMax: "garbage" }), null);
  assert.equal(parseCpuLimit({}), null);
});

test("the cores used are the CPUs capped by the limit, rounded up, and never fewer than one", () => {
  assert.equal(coresWithin(8, null), 8);
  assert.equal(coresWithin(8, 2), 2);
  assert.equal(coresWithin(8, 1.5), 2, "1.5 cores keep two threads busy");
  assert.equal(coresWithin(2, 4), 2, "a quota above the CPUs changes nothing");
  assert.equal(coresWithin(8, 0.25), 1);
});

test("this process's cores are at least one and at most the CPUs it may run on", () => {
  const cores = availableCores();
  assert.ok(Number.isInteger(cores) && cores >= 1 && cores <= availableParallelism(), String(cores));
});
