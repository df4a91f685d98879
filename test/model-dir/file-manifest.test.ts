/**
 * The manifest shared by model and checkpoint folders, on its own: the text
 * on disk, and every damaged folder handed to the caller's reporter as the
 * right problem (the caller's error, not a raw one, is what is thrown).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  fingerprintBytes,
  MANIFEST,
  manifestText,
  MAX_MANIFEST_BYTES,
  readManifest,
  readListedFiles,
  type FileFingerprint,
  type ManifestProblem,
} from "../../src/model-dir/file-manifest.js";

const FORMAT = "mtl-test";
const work = mkdtempSync(join(tmpdir(), "mtl-file-manifest-"));
after(() => rmSync(work, { recursive: true, force: true }));

class Reported extends Error {
  constructor(readonly problem: ManifestProblem) {
    super(problem.kind);
  }
}
const report = (problem: ManifestProblem) => new Reported(problem);

let folders = 0;
/** A folder holding `files` and a manifest of them under `format`. */
function folder(files: Record<string, string | Uint8Array>, format = FORMAT): string {
  const dir = mkdtempSync(join(work, `f${folders++}-`));
  const listed: Record<string, FileFingerprint> = {};
  for (const [name, data] of Object.entries(files)) {
    writeFileSync(join(dir, name), data);
    listed[name] = fingerprintBytes(typeof data === "string" ? Buffer.from(data) : data);
  }
  writeFileSync(join(dir, MANIFEST), manifestText(format, listed));
  return dir;
}

function writeManifest(dir: string, manifest: unknown): void {
  writeFileSync(join(dir, MANIFEST), typeof manifest === "string" ? manifest : JSON.stringify(manifest));
}

/** Reads and verifies `dir` as the callers do, keeping every file's bytes and keeping none (hashed as a stream); returns what was reported, the same both ways, or null. */
function problemOf(dir: string, format = FORMAT): ManifestProblem | null {
  const [kept, streamed] = [() => true, () => false].map((keep) => {
    try {
      readListedFiles(dir, readManifest(dir, format, report), report, keep);
      return null;
    } catch (error) {
      assert.ok(error instanceof Reported, `a raw error escaped instead of the reporter's: ${String(error)}`);
      return error.problem;
    }
  });
  assert.deepEqual(kept, streamed, "the files kept and the files hashed as a stream are checked alike");
  return kept!;
}

test("the manifest text is the on-disk format existing folders have", () => {
  const text = manifestText("mtl-model", { "a.bin": { bytes: 3, sha256: "ab" } });
  assert.equal(text, '{\n  "format": "mtl-model",\n  "version": 1,\n  "files": {\n    "a.bin": {\n      "bytes": 3,\n      "sha256": "ab"\n    }\n  }\n}\n');
});

test("fingerprints are the size and the SHA-256 hex of the bytes", () => {
  assert.deepEqual(fingerprintBytes(Buffer.from("abc")), { bytes: 3, sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" });
  assert.deepEqual(fingerprintBytes(new Uint8Array()), { bytes: 0, sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" });
});

test("an intact folder reads back and verifies", () => {
  const dir = folder({ "a.bin": new Uint8Array([1, 2, 3]), "b.json": "{}\n", "empty.txt": "" });
  assert.equal(problemOf(dir), null);
  assert.deepEqual(Object.keys(readManifest(dir, FORMAT, report).files).sort(), ["a.bin", "b.json", "empty.txt"]);
});

test("a truncated file is reported with its size and the listed size", () => {
  const dir = folder({ "a.bin": new Uint8Array(100).fill(7) });
  truncateSync(join(dir, "a.bin"), 40);
  assert.deepEqual(problemOf(dir), { kind: "wrong-size", path: join(dir, "a.bin"), bytes: 40, expected: 100 });
});

test("a file with one byte altered and the same size is reported by its hash", () => {
  const dir = folder({ "a.bin": new Uint8Array(64).fill(1) });
  const bytes = readFileSync(join(dir, "a.bin"));
  bytes[63] = 2;
  writeFileSync(join(dir, "a.bin"), bytes);
  assert.deepEqual(problemOf(dir), { kind: "wrong-hash", path: join(dir, "a.bin") });
});

test("a missing file is reported by its path", () => {
  const dir = folder({ "a.bin": "x", "b.bin": "y" });
  rmSync(join(dir, "b.bin"));
  assert.deepEqual(problemOf(dir), { kind: "missing", path: join(dir, "b.bin") });
});

test("a listed name that is not a plain file name is refused before any file is read", () => {
  for (const name of ["../outside.bin", "sub/a.bin", "/etc/passwd", "sub\\a.bin", "..", ".", ""]) {
    const dir = folder({ "a.bin": "x" });
    // The real file is damaged too: the name must be caught first, before files are opened.
    writeFileSync(join(dir, "a.bin"), "altered");
    writeManifest(dir, { format: FORMAT, version: 1, files: { "a.bin": fingerprintBytes(Buffer.from("x")), [name]: { bytes: 1, sha256: "0".repeat(64) } } });
    assert.deepEqual(problemOf(dir), { kind: "outside-folder", path: join(dir, MANIFEST), name }, `'${name}'`);
  }
});

test("a manifest of the other folder kind is refused as malformed", () => {
  const dir = folder({ "a.bin": "x" }, "mtl-checkpoint");
  assert.deepEqual(problemOf(dir, "mtl-model"), { kind: "malformed", path: join(dir, MANIFEST) });
  assert.equal(problemOf(dir, "mtl-checkpoint"), null);
});

test("a manifest of another shape is refused as malformed", () => {
  const good = { bytes: 1, sha256: "0".repeat(64) };
  const shapes: [string, unknown][] = [
    ["null", null],
    ["an array", [good]],
    ["no format", { version: 1, files: {} }],
    ["another version", { format: FORMAT, version: 2, files: {} }],
    ["no files", { format: FORMAT, version: 1 }],
    ["files as an array", { format: FORMAT, version: 1, files: [good] }],
    ["a size as a string", { format: FORMAT, version: 1, files: { "a.bin": { bytes: "1", sha256: good.sha256 } } }],
    ["a fractional size", { format: FORMAT, version: 1, files: { "a.bin": { bytes: 1.5, sha256: good.sha256 } } }],
    ["no hash", { format: FORMAT, version: 1, files: { "a.bin": { bytes: 1 } } }],
    ["a null entry", { format: FORMAT, version: 1, files: { "a.bin": null } }],
  ];
  for (const [what, manifest] of shapes) {
    const dir = folder({ "a.bin": "x" });
    writeManifest(dir, manifest);
    assert.deepEqual(problemOf(dir), { kind: "malformed", path: join(dir, MANIFEST) }, what);
  }
});

test("a manifest that cannot be read or parsed is reported with the reason", () => {
  const truncated = folder({ "a.bin": "x" });
  const text = readFileSync(join(truncated, MANIFEST), "utf8");
  writeManifest(truncated, text.slice(0, 20));
  const cut = problemOf(truncated);
  assert.ok(cut?.kind === "unreadable", `got ${JSON.stringify(cut)}`);
  assert.equal(cut.path, join(truncated, MANIFEST));
  assert.match(cut.reason, /JSON/);

  const absent = folder({});
  rmSync(join(absent, MANIFEST));
  const missing = problemOf(absent);
  assert.ok(missing?.kind === "unreadable", `got ${JSON.stringify(missing)}`);
  assert.match(missing.reason, /ENOENT/);
});

test("a listed file that is a link is refused, even to identical bytes outside the folder, and a link's target size is never told", () => {
  const dir = folder({ "a.bin": "secret-free bytes" });
  writeFileSync(join(work, "copy.bin"), "secret-free bytes");
  rmSync(join(dir, "a.bin"));
  symlinkSync(join(work, "copy.bin"), join(dir, "a.bin"));
  assert.deepEqual(problemOf(dir), { kind: "not-regular", path: join(dir, "a.bin"), what: "a symbolic link" });
  rmSync(join(dir, "a.bin"));
  symlinkSync("/etc/passwd", join(dir, "a.bin"));
  assert.deepEqual(problemOf(dir), { kind: "not-regular", path: join(dir, "a.bin"), what: "a symbolic link" });
});

test("a listed file's size is compared before it is read: a 3 GB file is refused at once", () => {
  const dir = folder({ "a.bin": "x" });
  truncateSync(join(dir, "a.bin"), 3 * 2 ** 30);
  const started = performance.now();
  assert.deepEqual(problemOf(dir), { kind: "wrong-size", path: join(dir, "a.bin"), bytes: 3 * 2 ** 30, expected: 1 });
  assert.ok(performance.now() - started < 1000, "the file was read");
});

test("a manifest that is a link, a device, or larger than MAX_MANIFEST_BYTES is refused without reading it whole", () => {
  const link = folder({ "a.bin": "x" });
  rmSync(join(link, MANIFEST));
  symlinkSync("/dev/zero", join(link, MANIFEST));
  assert.deepEqual(problemOf(link), { kind: "not-regular", path: join(link, MANIFEST), what: "a symbolic link" });
  const big = folder({ "a.bin": "x" });
  truncateSync(join(big, MANIFEST), MAX_MANIFEST_BYTES + 1);
  const problem = problemOf(big);
  assert.ok(problem?.kind === "unreadable", JSON.stringify(problem));
  assert.match(problem.reason, /larger than the 1 MiB a manifest may have/);
});

test("readListedFiles gives the kept files' bytes as verified, each in a buffer of exactly its size, and only verifies the others", () => {
  const weights = Buffer.from(Float32Array.of(1, 2, 3).buffer);
  const dir = folder({ "a.json": "{}\n", "w.bin": weights, "empty.txt": "" });
  const files = readListedFiles(dir, readManifest(dir, FORMAT, report), report, (name) => name !== "a.json");
  assert.deepEqual([...files.keys()].sort(), ["empty.txt", "w.bin"]);
  const bytes = files.get("w.bin")!;
  assert.deepEqual(bytes, weights);
  // Its own buffer: a Float32Array over it sees the weights, and TF.js can take the buffer without a copy.
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, weights.byteLength);
  assert.deepEqual(new Float32Array(bytes.buffer), Float32Array.of(1, 2, 3));
  assert.equal(files.get("empty.txt")!.byteLength, 0);
});
