// ---- WGSL of kernel matmul, variant NN/subgroup/vec4/16x32
enable subgroups;

struct Uniforms { M: u32, N: u32, K: u32, tilesX: u32, tilesPerBatch: u32, tiles: u32, batchTiles: u32, kChunk: u32, aStep: u32, bStep: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;

@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn rowA4(batch: u32, row: u32) -> u32 { return batch * u.aStep + row * u.K; }
fn loadA4(start: u32, k: u32) -> vec4<f32> { return a4[(start + k) / 4u]; }
fn loadB4(batch: u32, k: u32, col: u32) -> vec4<f32> { return b4[(batch * u.bStep + k * u.N + col) / 4u]; }
// k in mixed radix: (d.x·r1 + d.y)·r2 + d.z = k.
fn digits(k: u32) -> vec3<u32> { return vec3<u32>(k / (1u * u.K), (k / u.K) % 1u, k % u.K); }
// Workgroup number tile of the linear list: its K split, batch, tile row and tile column, the
// k range it sums over, and where its [M, N] output block starts.
struct Tile { batch: u32, row: u32, col: u32, kBegin: u32, kEnd: u32, base: u32 }
fn tileOf(tile: u32) -> Tile {
  let split = tile / u.batchTiles;
  let rest = tile % u.batchTiles;
  let batch = rest / u.tilesPerBatch;
  let t = rest % u.tilesPerBatch;
  let kBegin = split * u.kChunk;
  return Tile(batch, t / u.tilesX, t % u.tilesX, kBegin, min(u.K, kBegin + u.kChunk), (split * (u.batchTiles / u.tilesPerBatch) + batch) * u.M * u.N);
}

fn storeRow(base: u32, r: u32, col0: u32, v: vec4<f32>) {
  if (r >= u.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let col = col0 + j * 1u;
    if (col < u.N) { out[base + r * u.N + col] = v[j]; }
  }
}
@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let tile = wid.x + wid.y * groups.x;
  if (tile >= u.tiles) { return; } // uniform: the subgroup stays whole for its broadcasts
  let w = tileOf(tile);
  let batch = w.batch;
  let row0 = w.row * 16u;
  let a0 = rowA4(batch, min(row0 + lid.x, u.M - 1u)); let a1 = rowA4(batch, min(row0 + 8u + lid.x, u.M - 1u));
  let c0 = min(w.col * 32u + 4u * lid.x, u.N - 4u); // 4 columns
  var acc0 = vec4<f32>(0.0); var acc1 = vec4<f32>(0.0); var acc2 = vec4<f32>(0.0); var acc3 = vec4<f32>(0.0); var acc4 = vec4<f32>(0.0); var acc5 = vec4<f32>(0.0); var acc6 = vec4<f32>(0.0); var acc7 = vec4<f32>(0.0); var acc8 = vec4<f32>(0.0); var acc9 = vec4<f32>(0.0); var acc10 = vec4<f32>(0.0); var acc11 = vec4<f32>(0.0); var acc12 = vec4<f32>(0.0); var acc13 = vec4<f32>(0.0); var acc14 = vec4<f32>(0.0); var acc15 = vec4<f32>(0.0);
  for (var k = w.kBegin; k < w.kEnd; k += 4u) {
    let pa0 = loadA4(a0, k); let pa1 = loadA4(a1, k);
    let b0 = loadB4(batch, k + 0u, c0); let b1 = loadB4(batch, k + 1u, c0); let b2 = loadB4(batch, k + 2u, c0); let b3 = loadB4(batch, k + 3u, c0);
    let xa0 = subgroupBroadcast(pa0, 0u); acc0 = xa0.x * b0 + xa0.y * b1 + xa0.z * b2 + xa0.w * b3 + acc0;
    let xa1 = subgroupBroadcast(pa0, 1u); acc1 = xa1.x * b0 + xa1.y * b1 + xa1.z * b2 + xa1.w * b3 + acc1;
    let xa2 = subgroupBroadcast(pa0, 2u); acc2 = xa2.x * b0 + xa2.y * b1 + xa2.z * b2 + xa2.w * b3 + acc2;
    let xa3 = subgroupBroadcast(pa0, 3u); acc3 = xa3.x * b0 + xa3.y * b1 + xa3.z * b2 + xa3.w * b3 + acc3;
    let xa4 = subgroupBroadcast(pa0, 4u); acc4 = xa4.x * b0 + xa4.y * b1 + xa4.z * b2 + xa4.w * b3 + acc4;
    let xa5 = subgroupBroadcast(pa0, 5u); acc5 = xa5.x * b0 + xa5.y * b1 + xa5.z * b2 + xa5.w * b3 + acc5;
    let xa6 = subgroupBroadcast(pa0, 6u); acc6 = xa6.x * b0 + xa6.y * b1 + xa6.z * b2 + xa6.w * b3 + acc6;
    let xa7 = subgroupBroadcast(pa0, 7u); acc7 = xa7.x * b0 + xa7.y * b1 + xa7.z * b2 + xa7.w * b3 + acc7;
    let xa8 = subgroupBroadcast(pa1, 0u); acc8 = xa8.x * b0 + xa8.y * b1 + xa8.z * b2 + xa8.w * b3 + acc8;
    let xa9 = subgroupBroadcast(pa1, 1u); acc9 = xa9.x * b0 + xa9.y * b1 + xa9.z * b2 + xa9.w * b3 + acc9;
    let xa10 = subgroupBroadcast(pa1, 2u); acc10 = xa10.x * b0 + xa10.y * b1 + xa10.z * b2 + xa10.w * b3 + acc10;
    let xa11 = subgroupBroadcast(pa1, 3u); acc11 = xa11.x * b0 + xa11.y * b1 + xa11.z * b2 + xa11.w * b3 + acc11;
    let xa12 = subgroupBroadcast(pa1, 4u); acc12 = xa12.x * b0 + xa12.y * b1 + xa12.z * b2 + xa12.w * b3 + acc12;
    let xa13 = subgroupBroadcast(pa1, 5u); acc13 = xa13.x * b0 + xa13.y * b1 + xa13.z * b2 + xa13.w * b3 + acc13;
    let xa14 = subgroupBroadcast(pa1, 6u); acc14 = xa14.x * b0 + xa14.y * b1 + xa14.z * b2 + xa14.w * b3 + acc14;
    let xa15 = subgroupBroadcast(pa1, 7u); acc15 = xa15.x * b0 + xa15.y * b1 + xa15.z * b2 + xa15.w * b3 + acc15;
  }
  storeRow(w.base, row0 + 0u, w.col * 32u + 4u * lid.x, acc0);
  storeRow(w.base, row0 + 1u, w.col * 32u + 4u * lid.x, acc1);
  storeRow(w.base, row0 + 2u, w.col * 32u + 4u * lid.x, acc2);
  storeRow(w.base, row0 + 3u, w.col * 32u + 4u * lid.x, acc3);
  storeRow(w.base, row0 + 4u, w.col * 32u + 4u * lid.x, acc4);
  storeRow(w.base, row0 + 5u, w.col * 32u + 4u * lid.x, acc5);
  storeRow(w.base, row0 + 6u, w.col * 32u + 4u * lid.x, acc6);
  storeRow(w.base, row0 + 7u, w.col * 32u + 4u * lid.x, acc7);
  storeRow(w.base, row0 + 8u, w.col * 32u + 4u * lid.x, acc8);
  storeRow(w.base, row0 + 9u, w.col * 32u + 4u * lid.x, acc9);
  storeRow(w.base, row0 + 10u, w.col * 32u + 4u * lid.x, acc10);
  storeRow(w.base, row0 + 11u, w.col * 32u + 4u * lid.x, acc11);
  storeRow(w.base, row0 + 12u, w.col * 32u + 4u * lid.x, acc12);
  storeRow(w.base, row0 + 13u, w.col * 32u + 4u * lid.x, acc13);
  storeRow(w.base, row0 + 14u, w.col * 32u + 4u * lid.x, acc14);
  storeRow(w.base, row0 + 15u, w.col * 32u + 4u * lid.x, acc15);
}
