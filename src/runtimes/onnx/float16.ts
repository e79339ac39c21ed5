// IEEE 754 half precision ↔ JavaScript numbers. onnxruntime-node on Node 20 (no Float16Array) carries
// 'float16' tensors as the raw 16-bit patterns in a Uint16Array; V2 tensors carry FP16 as plain values.

/** The half-precision bit pattern nearest to `x` (ties to even, as numpy's float16 cast and IEEE do). */
export function toFloat16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  if (a === Number.POSITIVE_INFINITY) return sign | 0x7c00;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  // Below 2^-14 the spacing stays 2^-24 (subnormals); the significand then holds no implicit 1.
  const exponent = Math.max(e, -14);
  const r = a / 2 ** (exponent - 10); // exact: division by a power of two
  let f = Math.floor(r);
  const rest = r - f;
  if (rest > 0.5 || (rest === 0.5 && f % 2 === 1)) f++;
  if (e < -14) return sign | f; // f <= 1024; 1024 is exactly the smallest normal's pattern
  let biased = exponent + 15;
  if (f === 2048) {
    f = 1024;
    biased++;
  }
  if (biased >= 31) return sign | 0x7c00; // past 65504 (65520 and up round to infinity)
  return sign | (biased << 10) | (f - 1024);
}

/** The value of a half-precision bit pattern. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const biased = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (biased === 0) return sign * fraction * 2 ** -24;
  if (biased === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1024 + fraction) * 2 ** (biased - 25);
}
