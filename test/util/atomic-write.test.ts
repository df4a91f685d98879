/**
 * writeFileAtomic replaces what a path names, never the path itself: a link
 * stays a link, a replaced file keeps its mode and owner, and a device or
 * FIFO is refused, never turned into a regular file.
 */
import assert from "node:assert/strict";
import { chmodSync, chownSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { writeFileAtomic, writeFilesAtomic } from "../../src/util/atomic-write.js";
import { OutputPathError } from "../../src/util/output-path.js";
import { characterDevice, fifo } from "../helpers/devices.js";

const work = mkdtempSync(join(tmpdir(), "mtl-atomic-write-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("a link is written through: the link stays, its target gets the content", () => {
  writeFileSync(join(work, "spec.mtl"), "old");
  symlinkSync("spec.mtl", join(work, "link.mtl"));
  writeFileAtomic(join(work, "link.mtl"), "new");
  assert.ok(lstatSync(join(work, "link.mtl")).isSymbolicLink());
  assert.equal(readFileSync(join(work, "spec.mtl"), "utf8"), "new");
  assert.deepEqual(readdirSync(work).filter((f) => f.endsWith(".tmp")), []);
});

test("a replaced file keeps its mode (a private file stays private) and its owner", () => {
  const file = join(work, "private.mtl");
  writeFileSync(file, "old");
  chmodSync(file, 0o600);
  const root = process.getuid?.() === 0;
  if (root) chownSync(file, 1234, 5678);
  writeFileAtomic(file, "new");
  const stats = statSync(file);
  assert.equal(stats.mode & 0o7777, 0o600);
  if (root) assert.deepEqual([stats.uid, stats.gid], [1234, 5678]);
  assert.equal(readFileSync(file, "utf8"), "new");
});

test("a new file gets the usual mode (0666 less the umask)", () => {
  const file = join(work, "fresh.txt");
  writeFileAtomic(file, "x");
  const umask = process.umask();
  assert.equal(statSync(file).mode & 0o777, 0o666 & ~umask);
});

test("a device or FIFO is refused and stays what it was", () => {
  for (const path of [characterDevice(work, "null"), fifo(join(work, "fifo"))]) {
    assert.throws(() => writeFileAtomic(path, "x"), OutputPathError, path);
    assert.ok(!statSync(path).isFile(), `${path} was replaced by a regular file`);
  }
  assert.throws(() => writeFileAtomic(work, "x"), /the output path is a folder/);
});


test("several files at once: each replaced with its content, a private one kept private, no temporary file left", async () => {
  const dir = mkdtempSync(join(work, "many-"));
  writeFileSync(join(dir, "private.json"), "old");
  chmodSync(join(dir, "private.json"), 0o600);
  await writeFilesAtomic([
    [join(dir, "a.json"), "A"],
    [join(dir, "private.json"), Buffer.from("P")],
    [join(dir, "c.txt"), "C"],
  ]);
  assert.deepEqual(["a.json", "private.json", "c.txt"].map((f) => readFileSync(join(dir, f), "utf8")), ["A", "P", "C"]);
  assert.equal(statSync(join(dir, "private.json")).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).sort(), ["a.json", "c.txt", "private.json"]);
});

test("several files at once, one of them refused: nothing is replaced and no temporary file is left", async () => {
  const dir = mkdtempSync(join(work, "refused-"));
  writeFileSync(join(dir, "a.json"), "old");
  const pipe = fifo(join(dir, "fifo"));
  await assert.rejects(writeFilesAtomic([[join(dir, "a.json"), "new"], [pipe, "x"]]), OutputPathError);
  assert.equal(readFileSync(join(dir, "a.json"), "utf8"), "old");
  assert.deepEqual(readdirSync(dir).sort(), ["a.json", "fifo"]);
});

test("several files at once, a failure at any step of any file: before the renames nothing is replaced, at a rename exactly the files before it; no temporary file is left", async () => {
  const names = ["a.json", "b.json", "c.json"];
  for (const stage of ["write", "sync", "rename"] as const) {
    for (let failing = 0; failing < names.length; failing++) {
      const dir = mkdtempSync(join(work, `fault-${stage}-${failing}-`));
      for (const name of names) writeFileSync(join(dir, name), "old");
      const paths = names.map((name) => join(dir, name));
      const fault = (at: string, path: string) => {
        if (at === stage && path === paths[failing]) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      };
      await assert.rejects(writeFilesAtomic(paths.map((path) => [path, "new"] as const), fault), { code: "ENOSPC" });
      const replaced = stage === "rename" ? failing : 0;
      assert.deepEqual(
        names.map((name) => readFileSync(join(dir, name), "utf8")),
        names.map((_, i) => (i < replaced ? "new" : "old")),
        `${stage} of file ${failing}`,
      );
      assert.deepEqual(readdirSync(dir).sort(), names, `${stage} of file ${failing}: a temporary file was left`);
    }
  }
});
