/**
 * The bounded readers: a model or checkpoint file must be a regular file of
 * its own (no link, FIFO or device: refused at once, never read or waited
 * on), and no read takes more than its bound.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FileTooLargeError, hashOpenFile, NotRegularFileError, openRegularFile, readBoundedFile, readRegularFile } from "../../src/util/regular-file.js";

const work = mkdtempSync(join(tmpdir(), "mtl-regular-file-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("a regular file opens with its size and hashes as its bytes do", () => {
  const bytes = Buffer.alloc(3 << 20, 7); // several read chunks
  bytes[12345] = 1;
  writeFileSync(join(work, "w.bin"), bytes);
  const file = openRegularFile(join(work, "w.bin"));
  try {
    assert.equal(file.size, bytes.length);
    assert.deepEqual(hashOpenFile(file.fd), { bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
  } finally {
    closeSync(file.fd);
  }
});

test("a link (even to a good file), a device, a folder are refused by what they are", () => {
  writeFileSync(join(work, "good.bin"), "x");
  symlinkSync("good.bin", join(work, "link.bin"));
  symlinkSync("/dev/zero", join(work, "zero.bin"));
  const cases: [string, string][] = [
    [join(work, "link.bin"), "a symbolic link"],
    [join(work, "zero.bin"), "a symbolic link"],
    ["/dev/zero", "a character device"],
    [work, "a folder"],
  ];
  for (const [path, what] of cases) {
    assert.throws(() => openRegularFile(path), (e: unknown) => e instanceof NotRegularFileError && e.what === what && !/\d+ bytes/.test(e.message), path);
  }
});

test("a FIFO is refused at once instead of waiting for a writer", () => {
  const fifo = join(work, "fifo");
  spawnSync("mkfifo", [fifo]);
  // In a child process: a blocking open would hang this one, where no timeout can fire.
  const url = new URL("../../src/util/regular-file.js", import.meta.url).href;
  const script = `import { openRegularFile } from ${JSON.stringify(url)}; try { openRegularFile(${JSON.stringify(fifo)}); console.log("opened"); } catch (e) { console.log(e.what); }`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
  assert.equal(child.signal, null, "the open of a FIFO hung");
  assert.equal(child.stdout.trim(), "a FIFO");
});

test("a file larger than the bound is refused by its size, before it is read", () => {
  const big = join(work, "big.bin");
  writeFileSync(big, "");
  truncateSync(big, 3 * 2 ** 30); // sparse: 3 GB that reading would take seconds and all memory
  const started = performance.now();
  assert.throws(() => readRegularFile(big, 1 << 20), FileTooLargeError);
  assert.ok(performance.now() - started < 1000, "the size check read the file");
  writeFileSync(join(work, "small.bin"), "12345");
  assert.equal(readRegularFile(join(work, "small.bin"), 5).toString(), "12345");
  assert.throws(() => readRegularFile(join(work, "small.bin"), 4), FileTooLargeError);
});

test("a bounded read follows links and reads devices, but stops at the bound", () => {
  assert.throws(() => readBoundedFile("/dev/zero", 1 << 20), (e: unknown) => e instanceof FileTooLargeError && e.limit === 1 << 20);
  assert.equal(readBoundedFile("/dev/null", 10).length, 0);
  symlinkSync("small.bin", join(work, "small-link.bin"));
  assert.equal(readBoundedFile(join(work, "small-link.bin"), 5).toString(), "12345");
  assert.throws(() => readBoundedFile(work, 5), { code: "EISDIR" });
});
