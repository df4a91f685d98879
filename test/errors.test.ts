import assert from "node:assert/strict";
import { test } from "node:test";
import { EXIT_ERRORS, EXIT_USAGE } from "../src/cli/exit-codes.js";
import { DataError } from "../src/data/record.js";
import {
  BackendUnavailableError,
  CheckpointError,
  GraphTooLargeError,
  ModelDirError,
  ModelTooLargeError,
  MtlError,
  NonFiniteLossError,
  SpecReadError,
  UsageError,
} from "../src/errors.js";

test("how mtl was called: `mtl: message`, exit 2", () => {
  for (const error of [
    new UsageError("bad flag"),
    new SpecReadError("bad flag"),
    new BackendUnavailableError("bad flag"),
  ]) {
    assert.ok(error instanceof MtlError, error.name);
    assert.equal(error.exitCode, EXIT_USAGE, error.name);
    assert.equal(error.report(), "mtl: bad flag", error.name);
  }
});

test("what the input asks for: `mtl: error: message`, exit 1", () => {
  for (const error of [
    new ModelDirError("m"),
    new CheckpointError("m"),
    new NonFiniteLossError("m"),
    new ModelTooLargeError("m"),
    new GraphTooLargeError("m"),
  ]) {
    assert.ok(error instanceof MtlError, error.name);
    assert.equal(error.exitCode, EXIT_ERRORS, error.name);
    assert.equal(error.report(), "mtl: error: m", error.name);
  }
  assert.ok(
    new CheckpointError("m") instanceof ModelDirError,
    "a checkpoint is part of a model folder",
  );
});

test("a data error reports its place and hint, exit 1", () => {
  const error = new DataError("d.csv", 3, "not a number", "fix the row", "age");
  assert.ok(error instanceof MtlError);
  assert.equal(error.exitCode, EXIT_ERRORS);
  assert.equal(
    error.report(),
    "d.csv:3: error: not a number (field 'age')\n  hint: fix the row",
  );
});
