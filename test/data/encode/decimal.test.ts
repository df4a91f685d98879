import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decimalScan, parseDecimal, parseDecimalPrefix } from "../../../src/data/encode/decimal.js";

const same = (text: string): void => assert.ok(Object.is(parseDecimal(text), Number(text)), `${JSON.stringify(text)}: ${parseDecimal(text)} vs ${Number(text)}`);

test("doubles written in full (16 to 19 significant digits) parse to Number()'s value bit for bit", () => {
  // Shortest round-trip text and 16..19-digit roundings, the way data writers print floats.
  const double = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 });
  fc.assert(
    fc.property(double, fc.integer({ min: 16, max: 19 }), (x, digits) => {
      same(String(x));
      same(x.toPrecision(digits));
      same(x.toExponential(digits - 1));
    }),
    { numRuns: 20000 },
  );
});

test("random digit strings with a point and an exponent parse to Number()'s value", () => {
  const text = fc
    .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,24}$/), fc.integer({ min: 0, max: 24 }), fc.option(fc.integer({ min: -40, max: 40 })))
    .map(([negative, digits, point, exponent]) => {
      const at = Math.min(point, digits.length);
      const body = `${digits.slice(0, at)}.${digits.slice(at)}`;
      return `${negative ? "-" : ""}${body}${exponent === null ? "" : `e${exponent}`}`;
    });
  fc.assert(fc.property(text, same), { numRuns: 20000 });
});

test("exact ties, neighbours of ties and awkward edges round as Number() does", () => {
  const cases = [
    // Halfway between two doubles, exactly: round half to even.
    "9007199254740993", "9007199254740995", "9007199254740993.0", "900719925474099.3e1", "18014398509481986", "18014398509481990",
    "9007199254740993e-3", "9007199254740993e5", "1152921504606846977", "9223372036854775807", "9999999999999999999",
    // Just beside ties.
    "9007199254740992.9999", "9007199254740993.0001", "0.30000000000000004", "0.1000000000000000055511151231257827",
    // The largest float32 and doubles near powers of two (where the spacing of doubles halves).
    "3.4028234663852886e38", "4503599627370495.5", "4503599627370496.5", "1.7976931348623157e308", "2.2250738585072014e-308",
    // Subnormals, huge and tiny exponents, -0 and zeros.
    "5e-324", "4.9406564584124654e-324", "1e-400", "1e400", "-0", "-0.000", "0e99999999999", "-0e5", "00000000000000000000001.5",
    "1e0000000000000000000005", "0.0000000000000000000000012345678901234567", "1234567890123456789012345", "123456789012345678e-22",
    "1234567890123456789e22", "1234567890123456789e-22", "1e22", "1e23", "1e-22", "1e-23",
  ];
  for (const text of cases) same(text);
});

/** The longest prefix of `text` the decimal grammar reads, as parseDecimalPrefix reports it (end, and whether it is a number). */
function grammarPrefix(text: string): { end: number; valid: boolean } {
  let i = 0;
  const isDigit = (k: number) => k < text.length && text[k]! >= "0" && text[k]! <= "9";
  if (text[i] === "+" || text[i] === "-") i++;
  let digits = 0;
  for (; isDigit(i); i++) digits++;
  if (text[i] === ".") for (i++; isDigit(i); i++) digits++;
  if (digits === 0) return { end: i, valid: false };
  if (text[i] !== "e" && text[i] !== "E") return { end: i, valid: true };
  i++;
  if (text[i] === "+" || text[i] === "-") i++;
  if (!isDigit(i)) return { end: i, valid: false };
  while (isDigit(i)) i++;
  return { end: i, valid: true };
}

test("two million random decimals, prefixes and near-ties: the byte parser stops where the grammar does and settles only Number()'s value", () => {
  // A fast generator (fast-check is too slow for millions): data-file floats written in full, digit soup with points and signs, ties.
  let state = 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const soup = "0123456789000.-+eE";
  const bytes = new Uint8Array(64);
  let settled = 0;
  const total = 2_000_000;
  for (let n = 0; n < total; n++) {
    let text: string;
    const kind = n % 4;
    if (kind === 0) {
      const x = (next() - 0.5) * 10 ** Math.floor(next() * 44 - 22);
      text = x.toPrecision(16 + Math.floor(next() * 4));
    } else if (kind === 1) {
      text = String((next() - 0.5) * 10 ** Math.floor(next() * 12 - 6));
    } else if (kind === 2) {
      // Halfway between two doubles near 2^53..2^63, give or take the last digit, with the point moved.
      const tie = BigInt(Math.floor(next() * 2 ** 20)) * 2n ** BigInt(33 + Math.floor(next() * 10)) + 2n ** 32n;
      const digits = (tie + BigInt(Math.floor(next() * 3) - 1)).toString();
      const at = Math.floor(next() * digits.length);
      text = `${digits.slice(0, at)}.${digits.slice(at)}`;
    } else {
      text = "";
      for (let k = Math.floor(next() * 24); k > 0; k--) text += soup[Math.floor(next() * soup.length)];
      if (next() < 0.3) text += `e${Math.floor(next() * 50 - 25)}`;
      if (next() < 0.3) text += ",1";
    }
    for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
    const x = parseDecimalPrefix(bytes, 0, text.length);
    const { end, valid } = grammarPrefix(text);
    if (decimalScan.end !== end) assert.fail(`${JSON.stringify(text)}: ends at ${decimalScan.end}, the grammar at ${end}`);
    if (!valid || decimalScan.undecided) {
      if (x === x) assert.fail(`${JSON.stringify(text)}: ${x} for an invalid or undecided decimal`);
      continue;
    }
    const expected = Number(text.slice(0, end));
    if (!Object.is(x, expected)) assert.fail(`${JSON.stringify(text)}: ${x} vs Number(): ${expected}`);
    settled++;
  }
  // Most inputs take the fast path, so it is the fast path that was checked.
  assert.ok(settled > total / 2, `${settled} of ${total} settled without parseFloat`);
});
