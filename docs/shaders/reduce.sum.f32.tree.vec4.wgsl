// ---- WGSL of kernel reduce, variant sum/f32/tree/vec4
struct Uniforms { rows: u32, inner: u32, chunk: u32, chunks: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs4: array<vec4<f32>>;

@group(0) @binding(2) var<storage, read_write> ys: array<f32>;

fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u; }
fn nanValue() -> f32 { let bits = 0x7fc00000u; return bitcast<f32>(bits); }
// +Inf, or −Inf when negative is true
fn infinity(negative: bool) -> f32 { let bits = select(0x7f800000u, 0xff800000u, negative); return bitcast<f32>(bits); }
// max and min that return NaN when either input is NaN (as PyTorch's maximum and minimum)
fn maxNan(a: f32, b: f32) -> f32 { if (isNan(a)) { return a; } if (isNan(b)) { return b; } return max(a, b); }
fn minNan(a: f32, b: f32) -> f32 { if (isNan(a)) { return a; } if (isNan(b)) { return b; } return min(a, b); }
var<workgroup> partial: array<f32, 64>;
var<workgroup> partialAt: array<i32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) local: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let lid = local.x;
  let w = wid.x + wid.y * groups.x; // uniform across the workgroup: safe before barriers
  if (w >= u.rows * u.chunks) { return; }
  let row = w / u.chunks;
  let start = (w % u.chunks) * u.chunk;
  let end = min(start + u.chunk, u.inner);
  var best = f32(0);
  var at = 2147483647;
  var acc = vec4<f32>(0);
  let base = row * (u.inner / 4u);
  for (var e = start / 4u + lid; e < end / 4u; e += 64u) {
    let q = xs4[base + e];
    acc += q;
  }
  best = (acc.x + acc.y) + (acc.z + acc.w);
  partial[lid] = best;
  partialAt[lid] = at;
  workgroupBarrier();
  for (var stride = 32u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partial[lid] = partial[lid] + partial[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let best = partial[0];
    let at = partialAt[0];
    ys[w] = best;
  }
}
