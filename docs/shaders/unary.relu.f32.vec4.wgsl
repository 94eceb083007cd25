// ---- WGSL of kernel unary, variant relu/f32/vec4
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u; }
fn nanValue() -> f32 { let bits = 0x7fc00000u; return bitcast<f32>(bits); }
// +Inf, or −Inf when negative is true
fn infinity(negative: bool) -> f32 { let bits = select(0x7f800000u, 0xff800000u, negative); return bitcast<f32>(bits); }
// max and min that return NaN when either input is NaN (as PyTorch's maximum and minimum)
fn maxNan(a: f32, b: f32) -> f32 { if (isNan(a)) { return a; } if (isNan(b)) { return b; } return max(a, b); }
fn minNan(a: f32, b: f32) -> f32 { if (isNan(a)) { return a; } if (isNan(b)) { return b; } return min(a, b); }


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
