// ---- WGSL of kernel unary, variant relu/f32/vec4
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u; }
fn nanValue() -> f32 { let bits = 0x7fc00000u; return bitcast<f32>(bits); }
// +Inf, or −Inf when negative is true
fn infinity(negative: bool) -> f32 { let bits = select(0x7f800000u, 0xff800000u, negative); return bitcast<f32>(bits); }
// max and min that return NaN when either input is NaN (as PyTorch's maximum and minimum)
fn maxNan(a: f32, b: f32) -> f32 { if (isNan(a)) { return a; } if (isNan(b)) { return b; } return max(a, b); }
fn minNan(a: f32, b: f32) -> f32 { if (isNan(a)) { return a; } if (isNan(b)) { return b; } return min(a, b); }

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
}

struct Uniforms { size: u32, alpha: f32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> ys: array<vec4<f32>>;
fn op(x: f32, alpha: f32) -> f32 { if (isNan(x)) { return x; } return select(x, 0.0, x <= 0.0); }

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = (wid.x + wid.y * groups.x) * 1024u + lid.x;
  for (var k = 0u; k < 4u; k++) {
    let index = first + k * 256u;
    if (index >= u.size) { break; }
    let x = xs[index];
    ys[index] = vec4(op(x.x, u.alpha), op(x.y, u.alpha), op(x.z, u.alpha), op(x.w, u.alpha));
  }
}
