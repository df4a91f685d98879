/**
 * Decimal text to the double `Number(text)` gives, bit for bit, without a
 * regular expression and, for the numbers data files hold (up to 19
 * significant digits, a power of ten within 10^±22), without parseFloat:
 * parseFloat made up most of the reading time of a numeric CSV file, since
 * a float written in full (`-0.43347707722704987`, 17 digits) is beyond the
 * classic exact fast path of 15 digits.
 *
 * The method: the digits form an integer W < 10^19, held exactly as two
 * doubles H + L; the value is W / 10^k or W * 10^k with 10^k exact (k <= 22).
 * One rounded division or product gives a first value; its exact remainder
 * (Dekker's error-free product) gives the correction to within about
 * 2^-100 of the value. Rounding is monotone, so when the value pushed down
 * and up by 2^-80 of itself (far more than that error) rounds to one double
 * both ways, that double is the correctly rounded result, which is what
 * Number() returns. Otherwise (the value sits within 2^-80 of halfway between
 * two doubles: exact ties such as 9007199254740993, about one random number
 * in 10^16 besides) parseFloat decides, as it does for longer digit strings
 * and larger exponents.
 */

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** 2^27 + 1: splits a double into two halves of 26 bits whose products are exact (Dekker). */
const SPLITTER = 134217729;
const BRACKET = 2 ** -80;

/** The low part of the last twoProduct (a module slot: returning a pair would allocate). */
let productLow = 0;

/** a * b rounded; the rounding error, exactly, in productLow. Exact for the magnitudes used here (no overflow or underflow). */
function twoProduct(a: number, b: number): number {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  productLow = ah * bh - p + ah * bl + al * bh + al * bl;
  return p;
}

/** The double nearest to `value + correction` when the two-sided bracket agrees, else NaN (the caller falls back). */
function settle(value: number, correction: number): number {
  const margin = value * BRACKET;
  const low = value + (correction - margin);
  return low === value + (correction + margin) ? low : NaN;
}

/**
 * W * 10^e for W = m * 10^k2 + m2 (m < 10^15, m2 < 10^k2, k2 <= 4) and
 * |e| <= 22, correctly rounded; NaN when too close to a tie to tell.
 */
function scaleExact(m: number, m2: number, k2: number, e: number): number {
  // W = H + L exactly: the product's error and the sum's are integers below 2^11.
  const p = twoProduct(m, POW10[k2]!);
  const pe = productLow;
  const h = p + m2;
  const se = m2 - (h - p);
  const l = se + pe;
  const scale = POW10[e < 0 ? -e : e]!;
  if (e < 0) {
    const q = h / scale;
    const back = twoProduct(q, scale);
    // h - back is exact (Sterbenz: within a factor 2 of each other).
    const remainder = h - back - productLow + l;
    return settle(q, remainder / scale);
  }
  const product = twoProduct(h, scale);
  return settle(product, productLow + l * scale);
}

/** Whitespace as String.prototype.trim (and a regular expression's \s) know it. */
function isBlankCode(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || (c >= 0x80 && isUnicodeBlank(c));
}

function isUnicodeBlank(c: number): boolean {
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** What the last parse found: where the decimal ended, and whether it was valid text that only parseFloat can settle. */
export const decimalScan = { end: 0, undecided: false };

/**
 * The number of the plain decimal `[+-]digits[.digits][e[+-]digits]` (or
 * `.5`, or `5.`) that starts at bytes[start], read up to the first byte that
 * cannot continue it (at most to `limit`), which decimalScan.end gives; NaN
 * when no such decimal starts there, and NaN with decimalScan.undecided set
 * for one this method cannot settle (see the file comment), which parseFloat
 * must convert. The CSV scanner reads a numeric field with it as it scans.
 */
export function parseDecimalPrefix(bytes: Uint8Array, start: number, limit: number): number {
  const scan = decimalScan;
  scan.undecided = false;
  let i = start;
  const first = i < limit ? bytes[i]! : 0;
  const negative = first === 45;
  if (negative || first === 43) i++;
  // One pass over the digits and the point, adding the digits up as they
  // are found: the first 15 significant ones into head (exact in a double),
  // the rest into tail; sig counts them from the first non-zero digit.
  // (Finding the digits first and adding them up in a second loop took half
  // as long again.)
  let head = 0;
  let tail = 0;
  let sig = 0;
  /** Where the fraction's digits start; -1 without a point. */
  let point = -1;
  const intStart = i;
  for (; i < limit; i++) {
    const d = bytes[i]! - 48;
    if (d >= 0 && d <= 9) {
      if (sig < 15) {
        head = head * 10 + d;
        if (head !== 0) sig++;
      } else {
        tail = tail * 10 + d;
        sig++;
      }
    } else if (d === -2 && point < 0) {
      point = i + 1;
    } else {
      break;
    }
  }
  const fraction = point < 0 ? 0 : i - point;
  const digits = i - intStart - (point < 0 ? 0 : 1);
  scan.end = i;
  if (digits === 0) return NaN;
  let exponent = 0;
  if (i < limit && (bytes[i] === 101 || bytes[i] === 69)) {
    i++;
    const sign = i < limit ? bytes[i]! : 0;
    if (sign === 43 || sign === 45) i++;
    scan.end = i;
    if (i === limit || !isDigit(bytes[i]!)) return NaN;
    for (; i < limit && isDigit(bytes[i]!); i++) {
      // Beyond any double's range either way; capped so the count cannot lose precision.
      if (exponent < 100_000) exponent = exponent * 10 + (bytes[i]! - 48);
    }
    scan.end = i;
    if (sign === 45) exponent = -exponent;
  }
  if (sig === 0) return negative ? -0 : 0;
  const e = exponent - fraction;
  let x = NaN;
  if (sig <= 19 && e >= -22 && e <= 22) {
    if (sig <= 15) {
      // head and 10^|e| are exact, so one operation rounds correctly (Clinger's fast path).
      x = e === 0 ? head : e < 0 ? head / POW10[-e]! : head * POW10[e]!;
    } else {
      x = scaleExact(head, tail, sig - 15, e);
    }
  }
  if (x !== x) {
    scan.undecided = true;
    return NaN;
  }
  return negative ? -x : x;
}

/**
 * The number of bytes[start, end) when they are exactly a plain decimal
 * (no blanks); NaN otherwise, with decimalScan.undecided set when they are
 * one that only parseFloat can settle.
 */
export function parseDecimalBytes(bytes: Uint8Array, start: number, end: number): number {
  const x = parseDecimalPrefix(bytes, start, end);
  if (decimalScan.end === end) return x;
  decimalScan.undecided = false;
  return NaN;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Text to bytes for parseDecimalBytes; grown for longer text. */
let scratch = new Uint8Array(64);

/**
 * Parses plain decimal notation, with surrounding blanks allowed: the reader
 * may have been told not to trim, and " 3.5 " is still unambiguous. NaN for
 * anything else, which `Number()` alone would accept: "0x1F", "0b1",
 * "Infinity", "" (as 0). A valid text gives exactly Number(text). The text
 * goes through parseDecimalBytes, the one decimal parser (the CSV reader
 * calls it on the file's bytes).
 */
export function parseDecimal(text: string): number {
  let end = text.length;
  let i = 0;
  while (i < end && isBlankCode(text.charCodeAt(i))) i++;
  while (end > i && isBlankCode(text.charCodeAt(end - 1))) end--;
  const n = end - i;
  if (n > scratch.length) scratch = new Uint8Array(2 * n);
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(i + k);
    // Nothing but ASCII belongs inside a decimal (and a character above 255 must not wrap to one that does).
    if (c > 127) return NaN;
    scratch[k] = c;
  }
  const x = parseDecimalBytes(scratch, 0, n);
  return decimalScan.undecided ? parseFloat(text) : x;
}
