/**
 * What is at an output path, and which paths are the same file: links are
 * followed (even to a file not there yet), devices and FIFOs are streams,
 * anything else that is not a regular file is refused.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { fileIdentity, isInsideFolder, OutputPathError, resolveOutput } from "../../src/util/output-path.js";

const work = realpathSync(mkdtempSync(join(tmpdir(), "mtl-output-path-")));
after(() => rmSync(work, { recursive: true, force: true }));

test("a regular file resolves to itself, with its stats; a new file to where it will be", () => {
  const file = join(work, "a.csv");
  writeFileSync(file, "x");
  const target = resolveOutput(file);
  assert.equal(target.kind, "file");
  assert.equal(target.path, file);
  assert.equal(target.existing?.size, 1);
  assert.deepEqual(resolveOutput(join(work, "new.csv")), { path: join(work, "new.csv"), kind: "file" });
});

test("a symbolic link resolves to the file it names, also when that file does not exist yet", () => {
  writeFileSync(join(work, "real.csv"), "x");
  symlinkSync("real.csv", join(work, "link.csv"));
  assert.equal(resolveOutput(join(work, "link.csv")).path, join(work, "real.csv"));
  mkdirSync(join(work, "sub"));
  symlinkSync("../sub/later.csv", join(work, "sub", "dangling.csv"));
  symlinkSync("sub/dangling.csv", join(work, "chain.csv"));
  assert.deepEqual(resolveOutput(join(work, "chain.csv")), { path: join(work, "sub", "later.csv"), kind: "file" });
});

test("character devices and FIFOs are streams, written in place under the name given", () => {
  assert.deepEqual(resolveOutput("/dev/null"), { path: "/dev/null", kind: "stream" });
  const fifo = join(work, "fifo");
  execFileSync("mkfifo", [fifo]);
  assert.deepEqual(resolveOutput(fifo), { path: fifo, kind: "stream" });
});

test("a folder is refused as a folder, a link loop as a loop", () => {
  assert.throws(() => resolveOutput(work), (e: unknown) => e instanceof OutputPathError && /is a folder/.test(e.reason));
  symlinkSync("loop-b", join(work, "loop-a"));
  symlinkSync("loop-a", join(work, "loop-b"));
  assert.throws(() => resolveOutput(join(work, "loop-a")), (e: unknown) => e instanceof OutputPathError && /symbolic links/.test(e.reason));
});

test("./a, a, a link and a hard link are one file; a new path is itself", () => {
  const file = join(work, "same.csv");
  writeFileSync(file, "x");
  symlinkSync("same.csv", join(work, "same-link.csv"));
  linkSync(file, join(work, "same-hard.csv"));
  const id = fileIdentity(file);
  for (const other of ["same-link.csv", "same-hard.csv", "./sub/../same.csv"]) assert.equal(fileIdentity(join(work, other)), id, other);
  assert.equal(fileIdentity(relative(process.cwd(), file)), id);
  assert.notEqual(fileIdentity(join(work, "other.csv")), id);
  assert.equal(fileIdentity(join(work, "sub", "..", "fresh.csv")), fileIdentity(join(work, "fresh.csv")));
});

test("a path is inside a folder when it or its real parent is below the folder", () => {
  const model = join(work, "model");
  mkdirSync(model);
  symlinkSync("model", join(work, "model-link"));
  assert.equal(isInsideFolder(join(model, "model.json"), model), true);
  assert.equal(isInsideFolder(join(work, "model-link", "new.ts"), model), true);
  assert.equal(isInsideFolder(join(model, "model.json"), join(work, "model-link")), true);
  assert.equal(isInsideFolder(join(work, "model.ts"), model), false);
  assert.equal(isInsideFolder(join(work, "modelx", "a.ts"), model), false);
});
