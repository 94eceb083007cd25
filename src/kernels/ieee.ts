// The numeric rules every device follows, written once for the CPU and once in WGSL side
// by side: NaN and infinity tests by bits, pow as C (and PyTorch) define it, integer
// powers that wrap, and the float → int32 conversion. The README's "Numeric rules"
// section states them for users.
//
// WGSL leaves what max, min, clamp, sign, pow, comparisons and the like do with NaN to the
// implementation (a compiler may even assume NaN never occurs), so kernels never ask a
// builtin about NaN: they test the bits first and decide themselves.

/** WGSL helpers: NaN and infinity tests by bits, and NaN/±Inf values made at run time
 * (WGSL rejects non-finite constant expressions, so the bits come through a `let`). */
export const WGSL_IEEE = /* wgsl */ `
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u; }
fn nanValue() -> f32 { let bits = 0x7fc00000u; return bitcast<f32>(bits); }
// +Inf, or −Inf when negative is true
fn infinity(negative: bool) -> f32 { let bits = select(0x7f800000u, 0xff800000u, negative); return bitcast<f32>(bits); }
// max and min that return NaN when either input is NaN (as PyTorch's maximum and minimum)
fn maxNan(a: f32, b: f32) -> f32 { if (isNan(a)) { return a; } if (isNan(b)) { return b; } return max(a, b); }
fn minNan(a: f32, b: f32) -> f32 { if (isNan(a)) { return a; } if (isNan(b)) { return b; } return min(a, b); }`;

/** The domain edges of log, sqrt and 1/sqrt decided explicitly (the builtins leave x ≤ 0
 * undefined), log of a subnormal x taken on x·2²³ (software drivers lose its precision), and
 * log1p, which WGSL lacks. */
export const WGSL_ROOTS_AND_LOG = /* wgsl */ `
// log(1 + y) for 0 ≤ y ≤ 1 to float32 precision, where log(1.0 + y) would round 1 + y and
// lose every digit of a small y: 2·atanh(s) with s = y / (2 + y) ≤ 1/3, by its series to s¹³.
fn log1pUnit(y: f32) -> f32 {
  let s = y / (2.0 + y);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 / 13.0))))));
}
fn logFloat(x: f32) -> f32 {
  if (x < 0.0) { return nanValue(); }
  if (x == 0.0) { return infinity(true); }
  if (isInf(x)) { return x; }
  if (x < 1.17549435e-38) { return log(x * 8388608.0) - 15.942385152878742; }
  return log(x);
}
fn sqrtFloat(x: f32) -> f32 {
  if (x < 0.0) { return nanValue(); }
  if (x == 0.0 || isInf(x)) { return x; } // sqrt(±0) = ±0
  return sqrt(x);
}
fn rsqrtFloat(x: f32) -> f32 {
  if (x < 0.0) { return nanValue(); }
  if (x == 0.0) { return infinity(bitcast<u32>(x) != 0u); } // 1/sqrt(±0) = ±Inf
  if (isInf(x)) { return 0.0; }
  return inverseSqrt(x);
}`;

/** C's pow (what PyTorch computes): Math.pow agrees except that a base of 1, or of −1 with
 * an infinite exponent, gives 1 even for a NaN or infinite exponent. */
export function powFloat(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return Math.pow(a, b);
}

/** C's pow in WGSL, every special case decided explicitly (the builtin is defined for a > 0
 * only). Integer exponents up to 64 use repeated squaring, exact to a few roundings, like
 * the CPU's; others go through exp2(b · log2 |a|), with log2 taken on a rescaled value
 * for a subnormal |a| (software drivers lose its precision there). */
export const WGSL_POW = /* wgsl */ `
fn log2Full(x: f32) -> f32 { // log2 of a positive finite x, subnormals included
  if (x < 1.17549435e-38) { return log2(x * 8388608.0) - 23.0; }
  return log2(x);
}
fn powFloat(a: f32, b: f32) -> f32 {
  if (isNan(b)) { return select(b, 1.0, a == 1.0 && !isNan(a)); }
  if (b == 0.0) { return 1.0; }
  if (isNan(a)) { return a; }
  if (a == 1.0) { return 1.0; }
  let size = abs(a);
  if (isInf(b)) {
    if (size == 1.0) { return 1.0; }
    return select(0.0, infinity(false), (size > 1.0) == (b > 0.0));
  }
  let integral = floor(b) == b;
  // every float of magnitude 2^24 or more is an even integer
  let odd = integral && abs(b) < 16777216.0 && (i32(b) & 1) != 0;
  if (a == 0.0 || isInf(a)) { // ±0 and ±Inf: the result is 0 or Inf, odd powers keep the sign
    let huge = (b < 0.0) == (a == 0.0);
    let negative = odd && bitcast<u32>(a) >= 0x80000000u;
    if (huge) { return infinity(negative); }
    return bitcast<f32>(select(0u, 0x80000000u, negative));
  }
  if (a < 0.0 && !integral) { return nanValue(); }
  var magnitude: f32;
  if (b == 0.5) {
    magnitude = sqrt(size); // exact, and common
  } else if (integral && abs(b) <= 64.0) {
    var result = 1.0;
    var square = size;
    var e = u32(abs(b));
    while (e != 0u) {
      if ((e & 1u) != 0u) { result *= square; }
      square *= square;
      e = e >> 1u;
    }
    magnitude = select(result, 1.0 / result, b < 0.0);
  } else {
    magnitude = exp2(b * log2Full(size));
  }
  return select(magnitude, -magnitude, a < 0.0 && odd);
}`;

/** int32 power as PyTorch computes it: repeated squaring whose products wrap modulo 2³²;
 * a negative exponent gives 0, except for the bases 1 and −1. */
export function powInt32(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? ((b & 1) !== 0 ? -1 : 1) : 0;
  let result = 1;
  let square = a;
  for (let e = b; e !== 0; e >>>= 1) {
    if ((e & 1) !== 0) result = Math.imul(result, square);
    square = Math.imul(square, square);
  }
  return result;
}

export const WGSL_POW_INT = /* wgsl */ `
fn powInt(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var result = 1;
  var square = a;
  var e = u32(b);
  while (e != 0u) {
    if ((e & 1u) != 0u) { result *= square; } // WGSL's i32 products wrap, as Math.imul
    square *= square;
    e = e >> 1u;
  }
  return result;
}`;

/** float32 → int32: truncate toward zero, saturate at the int32 limits, NaN → 0. */
export function floatToInt32(x: number): number {
  if (Number.isNaN(x)) return 0;
  if (x >= 2147483647) return 2147483647;
  if (x <= -2147483648) return -2147483648;
  return Math.trunc(x);
}

export const WGSL_FLOAT_TO_INT = /* wgsl */ `
fn floatToInt(x: f32) -> i32 {
  if (isNan(x)) { return 0; }
  if (x >= 2147483648.0) { return 2147483647; }
  if (x <= -2147483648.0) { return -2147483647 - 1; }
  return i32(x);
}`;
