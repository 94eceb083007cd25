// ---- WGSL of kernel matmul, variant strided/subgroup/columns/16x16
enable subgroups;

struct Uniforms { M: u32, N: u32, K: u32, tilesX: u32, tilesPerBatch: u32, tiles: u32, batchTiles: u32, kChunk: u32, aStep: u32, bStep: u32, aRow: u32, aK: u32, bK: u32, bCol: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

alias RowA = u32; // where A's row starts
fn rowA(batch: u32, row: u32) -> u32 { return batch * u.aStep + row * u.aRow; }
fn loadA(start: u32, k: u32, d: vec3<u32>) -> f32 { return a[start + k * u.aK]; }
fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32 { return b[batch * u.bStep + k * u.bK + col * u.bCol]; }
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

fn storeRow(base: u32, r: u32, col0: u32, v: array<f32, 2>) {
  if (r >= u.M) { return; }
  for (var j = 0u; j < 2u; j++) {
    let col = col0 + j * 8u;
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
  let col0 = w.col * 16u + lid.x;
  let a0 = rowA(batch, min(row0 + 0u + lid.x, u.M - 1u)); let a1 = rowA(batch, min(row0 + 8u + lid.x, u.M - 1u));
  let c0 = min(col0 + 0u, u.N - 1u); let c1 = min(col0 + 8u, u.N - 1u);
  var acc0: array<f32, 2>; var acc1: array<f32, 2>; var acc2: array<f32, 2>; var acc3: array<f32, 2>; var acc4: array<f32, 2>; var acc5: array<f32, 2>; var acc6: array<f32, 2>; var acc7: array<f32, 2>; var acc8: array<f32, 2>; var acc9: array<f32, 2>; var acc10: array<f32, 2>; var acc11: array<f32, 2>; var acc12: array<f32, 2>; var acc13: array<f32, 2>; var acc14: array<f32, 2>; var acc15: array<f32, 2>;
  var d = digits(w.kBegin);
  for (var k = w.kBegin; k < w.kEnd; k++) {
    let p0 = loadA(a0, k, d); let p1 = loadA(a1, k, d);
    let y0 = loadB(batch, k, d, c0); let y1 = loadB(batch, k, d, c1);
    { let x = subgroupBroadcast(p0, 0u); acc0[0] = fma(x, y0, acc0[0]); acc0[1] = fma(x, y1, acc0[1]); }
    { let x = subgroupBroadcast(p0, 1u); acc1[0] = fma(x, y0, acc1[0]); acc1[1] = fma(x, y1, acc1[1]); }
    { let x = subgroupBroadcast(p0, 2u); acc2[0] = fma(x, y0, acc2[0]); acc2[1] = fma(x, y1, acc2[1]); }
    { let x = subgroupBroadcast(p0, 3u); acc3[0] = fma(x, y0, acc3[0]); acc3[1] = fma(x, y1, acc3[1]); }
    { let x = subgroupBroadcast(p0, 4u); acc4[0] = fma(x, y0, acc4[0]); acc4[1] = fma(x, y1, acc4[1]); }
    { let x = subgroupBroadcast(p0, 5u); acc5[0] = fma(x, y0, acc5[0]); acc5[1] = fma(x, y1, acc5[1]); }
    { let x = subgroupBroadcast(p0, 6u); acc6[0] = fma(x, y0, acc6[0]); acc6[1] = fma(x, y1, acc6[1]); }
    { let x = subgroupBroadcast(p0, 7u); acc7[0] = fma(x, y0, acc7[0]); acc7[1] = fma(x, y1, acc7[1]); }
    { let x = subgroupBroadcast(p1, 0u); acc8[0] = fma(x, y0, acc8[0]); acc8[1] = fma(x, y1, acc8[1]); }
    { let x = subgroupBroadcast(p1, 1u); acc9[0] = fma(x, y0, acc9[0]); acc9[1] = fma(x, y1, acc9[1]); }
    { let x = subgroupBroadcast(p1, 2u); acc10[0] = fma(x, y0, acc10[0]); acc10[1] = fma(x, y1, acc10[1]); }
    { let x = subgroupBroadcast(p1, 3u); acc11[0] = fma(x, y0, acc11[0]); acc11[1] = fma(x, y1, acc11[1]); }
    { let x = subgroupBroadcast(p1, 4u); acc12[0] = fma(x, y0, acc12[0]); acc12[1] = fma(x, y1, acc12[1]); }
    { let x = subgroupBroadcast(p1, 5u); acc13[0] = fma(x, y0, acc13[0]); acc13[1] = fma(x, y1, acc13[1]); }
    { let x = subgroupBroadcast(p1, 6u); acc14[0] = fma(x, y0, acc14[0]); acc14[1] = fma(x, y1, acc14[1]); }
    { let x = subgroupBroadcast(p1, 7u); acc15[0] = fma(x, y0, acc15[0]); acc15[1] = fma(x, y1, acc15[1]); }
    d.z += 1u;
    if (d.z == u.K) { d.z = 0u; d.y += 1u; if (d.y == 1u) { d.y = 0u; d.x += 1u; } }
  }
  storeRow(w.base, row0 + 0u, col0, acc0);
  storeRow(w.base, row0 + 1u, col0, acc1);
  storeRow(w.base, row0 + 2u, col0, acc2);
  storeRow(w.base, row0 + 3u, col0, acc3);
  storeRow(w.base, row0 + 4u, col0, acc4);
  storeRow(w.base, row0 + 5u, col0, acc5);
  storeRow(w.base, row0 + 6u, col0, acc6);
  storeRow(w.base, row0 + 7u, col0, acc7);
  storeRow(w.base, row0 + 8u, col0, acc8);
  storeRow(w.base, row0 + 9u, col0, acc9);
  storeRow(w.base, row0 + 10u, col0, acc10);
  storeRow(w.base, row0 + 11u, col0, acc11);
  storeRow(w.base, row0 + 12u, col0, acc12);
  storeRow(w.base, row0 + 13u, col0, acc13);
  storeRow(w.base, row0 + 14u, col0, acc14);
  storeRow(w.base, row0 + 15u, col0, acc15);
}
