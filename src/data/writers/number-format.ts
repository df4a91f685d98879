/**
 * A number as text that reads back to the same value.
 *
 * Model outputs are float32 values held in doubles, and JavaScript prints
 * those with up to 17 digits (0.1f prints as 0.10000000149011612). So a value
 * that is exactly a float32 is printed with the fewest digits (at most 9)
 * that parse back to the same float32: 0.1f prints as "0.1", and
 * Math.fround(Number(text)) === x always holds. Any other double is printed
 * in JavaScript's shortest exact form, so Number(text) === x. Integers print
 * as integers; -0 prints as "0". NaN and ±Infinity print as "NaN",
 * "Infinity" and "-Infinity"; the JSONL writer turns them into null instead,
 * as JSON has no such values.
 */
export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return x === 0 ? "0" : String(x);
  if (!Number.isFinite(x) || Math.fround(x) !== x) return String(x);
  // Bisection: `hi` only ever moves to a precision that was checked, so the result always reads back exactly.
  let lo = 1;
  let hi = 9; // 9 significant digits always identify a float32
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(x.toPrecision(mid))) === x) hi = mid;
    else lo = mid + 1;
  }
  return String(Number(x.toPrecision(lo)));
}
