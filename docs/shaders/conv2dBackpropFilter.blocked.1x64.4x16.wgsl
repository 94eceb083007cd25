// ---- WGSL of kernel conv2dBackpropFilter, variant blocked/1x64/4x16
struct Uniforms { M: u32, N: u32, K: u32, tilesX: u32, tilesPerBatch: u32, tiles: u32, batchTiles: u32, kChunk: u32, inH: u32, inW: u32, inC: u32, outH: u32, outW: u32, outC: u32, kH: u32, kW: u32, strideH: u32, strideW: u32, dilationH: u32, dilationW: u32, padTop: i32, padLeft: i32 }
@group(0) @binding(0) var<uniform> u: Uniforms;

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

alias RowA = vec3<i32>;
fn rowA(batch: u32, row: u32) -> vec3<i32> {
  let c = row % u.inC; let kw = (row / u.inC) % u.kW; let kh = row / (u.inC * u.kW);
  return vec3<i32>(i32(kh * u.dilationH) - u.padTop, i32(kw * u.dilationW) - u.padLeft, i32(c));
}
fn loadA(r: vec3<i32>, k: u32, d: vec3<u32>) -> f32 { // d = (n, oh, ow)
  let ih = i32(d.y * u.strideH) + r.x; let iw = i32(d.z * u.strideW) + r.y;
  if (ih < 0 || iw < 0 || ih >= i32(u.inH) || iw >= i32(u.inW)) { return 0.0; }
  return a[((d.x * u.inH + u32(ih)) * u.inW + u32(iw)) * u.inC + u32(r.z)];
}
fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32 { return b[k * u.N + col]; }
// k in mixed radix: (d.x·r1 + d.y)·r2 + d.z = k.
fn digits(k: u32) -> vec3<u32> { return vec3<u32>(k / (u.outH * u.outW), (k / u.outW) % u.outH, k % u.outW); }
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

fn storeRow(base: u32, r: u32, col0: u32, v: array<f32, 16>) {
  if (r >= u.M) { return; }
  for (var j = 0u; j < 16u; j++) {
    let col = col0 + j * 1u;
    if (col < u.N) { out[base + r * u.N + col] = v[j]; }
  }
}
@compute @workgroup_size(1, 64)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let tile = wid.x + wid.y * groups.x;
  if (tile >= u.tiles) { return; }
  let w = tileOf(tile);
  let batch = w.batch;
  let row0 = w.row * 256u + lid.y * 4u;
  let col0 = w.col * 16u + lid.x;
  if (row0 >= u.M || col0 >= u.N) { return; }
  let a0 = rowA(batch, min(row0 + 0u, u.M - 1u));
  let a1 = rowA(batch, min(row0 + 1u, u.M - 1u));
  let a2 = rowA(batch, min(row0 + 2u, u.M - 1u));
  let a3 = rowA(batch, min(row0 + 3u, u.M - 1u));
  let c0 = min(col0 + 0u, u.N - 1u);
  let c1 = min(col0 + 1u, u.N - 1u);
  let c2 = min(col0 + 2u, u.N - 1u);
  let c3 = min(col0 + 3u, u.N - 1u);
  let c4 = min(col0 + 4u, u.N - 1u);
  let c5 = min(col0 + 5u, u.N - 1u);
  let c6 = min(col0 + 6u, u.N - 1u);
  let c7 = min(col0 + 7u, u.N - 1u);
  let c8 = min(col0 + 8u, u.N - 1u);
  let c9 = min(col0 + 9u, u.N - 1u);
  let c10 = min(col0 + 10u, u.N - 1u);
  let c11 = min(col0 + 11u, u.N - 1u);
  let c12 = min(col0 + 12u, u.N - 1u);
  let c13 = min(col0 + 13u, u.N - 1u);
  let c14 = min(col0 + 14u, u.N - 1u);
  let c15 = min(col0 + 15u, u.N - 1u);
  var acc0: array<f32, 16>;
  var acc1: array<f32, 16>;
  var acc2: array<f32, 16>;
  var acc3: array<f32, 16>;
  var d = digits(w.kBegin);
  for (var k = w.kBegin; k < w.kEnd; k++) {
    let x0 = loadA(a0, k, d);
  let x1 = loadA(a1, k, d);
  let x2 = loadA(a2, k, d);
  let x3 = loadA(a3, k, d);
    let y0 = loadB(batch, k, d, c0);
  let y1 = loadB(batch, k, d, c1);
  let y2 = loadB(batch, k, d, c2);
  let y3 = loadB(batch, k, d, c3);
  let y4 = loadB(batch, k, d, c4);
  let y5 = loadB(batch, k, d, c5);
  let y6 = loadB(batch, k, d, c6);
  let y7 = loadB(batch, k, d, c7);
  let y8 = loadB(batch, k, d, c8);
  let y9 = loadB(batch, k, d, c9);
  let y10 = loadB(batch, k, d, c10);
  let y11 = loadB(batch, k, d, c11);
  let y12 = loadB(batch, k, d, c12);
  let y13 = loadB(batch, k, d, c13);
  let y14 = loadB(batch, k, d, c14);
  let y15 = loadB(batch, k, d, c15);
    acc0[0] = fma(x0, y0, acc0[0]); acc0[1] = fma(x0, y1, acc0[1]); acc0[2] = fma(x0, y2, acc0[2]); acc0[3] = fma(x0, y3, acc0[3]); acc0[4] = fma(x0, y4, acc0[4]); acc0[5] = fma(x0, y5, acc0[5]); acc0[6] = fma(x0, y6, acc0[6]); acc0[7] = fma(x0, y7, acc0[7]); acc0[8] = fma(x0, y8, acc0[8]); acc0[9] = fma(x0, y9, acc0[9]); acc0[10] = fma(x0, y10, acc0[10]); acc0[11] = fma(x0, y11, acc0[11]); acc0[12] = fma(x0, y12, acc0[12]); acc0[13] = fma(x0, y13, acc0[13]); acc0[14] = fma(x0, y14, acc0[14]); acc0[15] = fma(x0, y15, acc0[15]);
    acc1[0] = fma(x1, y0, acc1[0]); acc1[1] = fma(x1, y1, acc1[1]); acc1[2] = fma(x1, y2, acc1[2]); acc1[3] = fma(x1, y3, acc1[3]); acc1[4] = fma(x1, y4, acc1[4]); acc1[5] = fma(x1, y5, acc1[5]); acc1[6] = fma(x1, y6, acc1[6]); acc1[7] = fma(x1, y7, acc1[7]); acc1[8] = fma(x1, y8, acc1[8]); acc1[9] = fma(x1, y9, acc1[9]); acc1[10] = fma(x1, y10, acc1[10]); acc1[11] = fma(x1, y11, acc1[11]); acc1[12] = fma(x1, y12, acc1[12]); acc1[13] = fma(x1, y13, acc1[13]); acc1[14] = fma(x1, y14, acc1[14]); acc1[15] = fma(x1, y15, acc1[15]);
    acc2[0] = fma(x2, y0, acc2[0]); acc2[1] = fma(x2, y1, acc2[1]); acc2[2] = fma(x2, y2, acc2[2]); acc2[3] = fma(x2, y3, acc2[3]); acc2[4] = fma(x2, y4, acc2[4]); acc2[5] = fma(x2, y5, acc2[5]); acc2[6] = fma(x2, y6, acc2[6]); acc2[7] = fma(x2, y7, acc2[7]); acc2[8] = fma(x2, y8, acc2[8]); acc2[9] = fma(x2, y9, acc2[9]); acc2[10] = fma(x2, y10, acc2[10]); acc2[11] = fma(x2, y11, acc2[11]); acc2[12] = fma(x2, y12, acc2[12]); acc2[13] = fma(x2, y13, acc2[13]); acc2[14] = fma(x2, y14, acc2[14]); acc2[15] = fma(x2, y15, acc2[15]);
    acc3[0] = fma(x3, y0, acc3[0]); acc3[1] = fma(x3, y1, acc3[1]); acc3[2] = fma(x3, y2, acc3[2]); acc3[3] = fma(x3, y3, acc3[3]); acc3[4] = fma(x3, y4, acc3[4]); acc3[5] = fma(x3, y5, acc3[5]); acc3[6] = fma(x3, y6, acc3[6]); acc3[7] = fma(x3, y7, acc3[7]); acc3[8] = fma(x3, y8, acc3[8]); acc3[9] = fma(x3, y9, acc3[9]); acc3[10] = fma(x3, y10, acc3[10]); acc3[11] = fma(x3, y11, acc3[11]); acc3[12] = fma(x3, y12, acc3[12]); acc3[13] = fma(x3, y13, acc3[13]); acc3[14] = fma(x3, y14, acc3[14]); acc3[15] = fma(x3, y15, acc3[15]);
    d.z += 1u;
    if (d.z == u.outW) { d.z = 0u; d.y += 1u; if (d.y == u.outH) { d.y = 0u; d.x += 1u; } }
  }
  storeRow(w.base, row0 + 0u, col0, acc0);
  storeRow(w.base, row0 + 1u, col0, acc1);
  storeRow(w.base, row0 + 2u, col0, acc2);
  storeRow(w.base, row0 + 3u, col0, acc3);
}
