// ---- WGSL of kernel conv2d, variant subgroup/rows/32x8
enable subgroups;

struct Uniforms { M: u32, N: u32, K: u32, tilesX: u32, tilesPerBatch: u32, tiles: u32, batchTiles: u32, kChunk: u32, inH: u32, inW: u32, inC: u32, outH: u32, outW: u32, outC: u32, kH: u32, kW: u32, strideH: u32, strideW: u32, dilationH: u32, dilationW: u32, padTop: i32, padLeft: i32 }
@group(0) @binding(0) var<uniform> u: Uniforms;

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

alias RowA = vec3<i32>;
fn rowA(batch: u32, row: u32) -> vec3<i32> {
  let ow = row % u.outW; let oh = (row / u.outW) % u.outH; let n = row / (u.outW * u.outH);
  return vec3<i32>(i32(n * u.inH), i32(oh * u.strideH) - u.padTop, i32(ow * u.strideW) - u.padLeft);
}
fn loadA(r: vec3<i32>, k: u32, d: vec3<u32>) -> f32 { // d = (kh, kw, c)
  let ih = r.y + i32(d.x * u.dilationH); let iw = r.z + i32(d.y * u.dilationW);
  if (ih < 0 || iw < 0 || ih >= i32(u.inH) || iw >= i32(u.inW)) { return 0.0; }
  return a[((u32(r.x + ih)) * u.inW + u32(iw)) * u.inC + d.z];
}
fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32 { return b[k * u.N + col]; }
// k in mixed radix: (d.x·r1 + d.y)·r2 + d.z = k.
fn digits(k: u32) -> vec3<u32> { return vec3<u32>(k / (u.kW * u.inC), (k / u.inC) % u.kW, k % u.inC); }
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

fn storeRow(base: u32, r: u32, col0: u32, v: array<f32, 8>) {
  if (r >= u.M) { return; }
  for (var j = 0u; j < 8u; j++) {
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
  let row0 = w.row * 32u + lid.x;
  let a0 = rowA(batch, min(row0 + 0u, u.M - 1u)); let a1 = rowA(batch, min(row0 + 8u, u.M - 1u)); let a2 = rowA(batch, min(row0 + 16u, u.M - 1u)); let a3 = rowA(batch, min(row0 + 24u, u.M - 1u));
  let c0 = min(w.col * 8u + 0u + lid.x, u.N - 1u);
  var acc0: array<f32, 8>; var acc1: array<f32, 8>; var acc2: array<f32, 8>; var acc3: array<f32, 8>;
  var d = digits(w.kBegin);
  for (var k = w.kBegin; k < w.kEnd; k++) {
    let x0 = loadA(a0, k, d); let x1 = loadA(a1, k, d); let x2 = loadA(a2, k, d); let x3 = loadA(a3, k, d);
    let p0 = loadB(batch, k, d, c0);
    { let y = subgroupBroadcast(p0, 0u); acc0[0] = fma(x0, y, acc0[0]); acc1[0] = fma(x1, y, acc1[0]); acc2[0] = fma(x2, y, acc2[0]); acc3[0] = fma(x3, y, acc3[0]); }
    { let y = subgroupBroadcast(p0, 1u); acc0[1] = fma(x0, y, acc0[1]); acc1[1] = fma(x1, y, acc1[1]); acc2[1] = fma(x2, y, acc2[1]); acc3[1] = fma(x3, y, acc3[1]); }
    { let y = subgroupBroadcast(p0, 2u); acc0[2] = fma(x0, y, acc0[2]); acc1[2] = fma(x1, y, acc1[2]); acc2[2] = fma(x2, y, acc2[2]); acc3[2] = fma(x3, y, acc3[2]); }
    { let y = subgroupBroadcast(p0, 3u); acc0[3] = fma(x0, y, acc0[3]); acc1[3] = fma(x1, y, acc1[3]); acc2[3] = fma(x2, y, acc2[3]); acc3[3] = fma(x3, y, acc3[3]); }
    { let y = subgroupBroadcast(p0, 4u); acc0[4] = fma(x0, y, acc0[4]); acc1[4] = fma(x1, y, acc1[4]); acc2[4] = fma(x2, y, acc2[4]); acc3[4] = fma(x3, y, acc3[4]); }
    { let y = subgroupBroadcast(p0, 5u); acc0[5] = fma(x0, y, acc0[5]); acc1[5] = fma(x1, y, acc1[5]); acc2[5] = fma(x2, y, acc2[5]); acc3[5] = fma(x3, y, acc3[5]); }
    { let y = subgroupBroadcast(p0, 6u); acc0[6] = fma(x0, y, acc0[6]); acc1[6] = fma(x1, y, acc1[6]); acc2[6] = fma(x2, y, acc2[6]); acc3[6] = fma(x3, y, acc3[6]); }
    { let y = subgroupBroadcast(p0, 7u); acc0[7] = fma(x0, y, acc0[7]); acc1[7] = fma(x1, y, acc1[7]); acc2[7] = fma(x2, y, acc2[7]); acc3[7] = fma(x3, y, acc3[7]); }
    d.z += 1u;
    if (d.z == u.inC) { d.z = 0u; d.y += 1u; if (d.y == u.kW) { d.y = 0u; d.x += 1u; } }
  }
  storeRow(w.base, row0 + 0u, w.col * 8u, acc0);
  storeRow(w.base, row0 + 8u, w.col * 8u, acc1);
  storeRow(w.base, row0 + 16u, w.col * 8u, acc2);
  storeRow(w.base, row0 + 24u, w.col * 8u, acc3);
}
