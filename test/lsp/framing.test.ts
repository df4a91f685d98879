import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FrameFilter, MAX_BODY_BYTES } from "../../src/lsp/framing.js";

function frame(body: string): string {
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Feeds `input` in pieces of `piece` bytes; returns the bodies passed on and the drop reports. */
async function filter(input: string, piece = input.length || 1): Promise<{ bodies: string[]; drops: string[] }> {
  const drops: string[] = [];
  const f = new FrameFilter((reason) => drops.push(reason));
  const out: Buffer[] = [];
  f.on("data", (chunk: Buffer) => out.push(chunk));
  const bytes = Buffer.from(input);
  for (let i = 0; i < bytes.length; i += piece) f.write(bytes.subarray(i, i + piece));
  f.end();
  await new Promise((resolve) => f.on("end", resolve));
  const text = Buffer.concat(out).toString();
  const bodies: string[] = [];
  for (let rest = text; rest.length > 0; ) {
    const m = /^Content-Length: (\d+)\r\n\r\n/.exec(rest);
    assert.ok(m, `output is not clean frames: ${JSON.stringify(rest.slice(0, 60))}`);
    const start = m[0].length;
    const body = Buffer.from(rest.slice(start)).subarray(0, Number(m[1])).toString();
    bodies.push(body);
    rest = rest.slice(start + body.length);
  }
  return { bodies, drops };
}

const A = '{"jsonrpc":"2.0","id":1,"method":"a","params":{"text":"é Content-Length"}}';
const B = '{"jsonrpc":"2.0","id":2,"method":"b"}';

describe("FrameFilter", () => {
  test("passes well-formed frames through unchanged, however the bytes are split", async () => {
    const input = frame(A) + `Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: ${B.length}\r\n\r\n${B}` + frame("");
    for (const piece of [1, 2, 7, 64, input.length]) {
      assert.deepEqual(await filter(input, piece), { bodies: [A, B, ""], drops: [] }, `pieces of ${piece}`);
    }
  });

  for (const [name, garbage, reason] of [
    ["a negative length", "Content-Length: -5\r\n\r\n", /Content-Length '-5' is not a byte count/],
    ["a non-numeric length", "Content-Length: abc\r\n\r\n", /Content-Length 'abc'/],
    ["a length too large", `Content-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`, /is not a byte count from 0/],
    ["no Content-Length", "Content-Type: x\r\n\r\n{}", /no Content-Length/],
    ["a line without a colon", "abc\r\n\r\n", /header line 'abc' is not 'Name: value'/],
    ["bare text with no header break", "abc", /the header has no Content-Length/],
    ["a stray line break", "\r\n", /header line '' is not/],
    ["a header that never ends", "X".repeat(5000), /no blank line ends the header within 4096 bytes/],
  ] as const) {
    test(`drops ${name}, reports it once, and reads the next frame`, async () => {
      for (const piece of [1, 5, 1 << 20]) {
        const { bodies, drops } = await filter(frame(A) + garbage + frame(B), piece);
        assert.deepEqual(bodies, [A, B], `pieces of ${piece}`);
        assert.equal(drops.length, 1, drops.join("; "));
        assert.match(drops[0]!, reason);
      }
    });
  }

  test("a later bad frame is reported again; a bad frame's body is skipped", async () => {
    const { bodies, drops } = await filter(`Content-Length: -1\r\n\r\n${B}` + frame(A) + "junk" + frame(B));
    assert.deepEqual(bodies, [A, B]);
    assert.equal(drops.length, 2);
  });
});
