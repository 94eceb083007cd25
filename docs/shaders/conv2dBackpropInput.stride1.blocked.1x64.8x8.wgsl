// ---- WGSL of kernel conv2dBackpropInput, variant stride1/blocked/1x64/8x8
struct Uniforms { M: u32, N: u32, K: u32, tilesX: u32, tilesPerBatch: u32, tiles: u32, batchTiles: u32, kChunk: u32, inH: u32, inW: u32, inC: u32, outH: u32, outW: u32, outC: u32, kH: u32, kW: u32, strideH: u32, strideW: u32, dilationH: u32, dilationW: u32, padTop: i32, padLeft: i32 }
@group(0) @binding(0) var<uniform> u: Uniforms;

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

alias RowA = vec3<i32>;
fn rowA(batch: u32, row: u32) -> vec3<i32> {
  let iw = row % u.inW; let ih = (row / u.inW) % u.inH; let n = row / (u.inW * u.inH);
  return vec3<i32>(i32(n), i32(ih) + u.padTop, i32(iw) + u.padLeft);
}
fn loadA(r: vec3<i32>, k: u32, d: vec3<u32>) -> f32 { // d = (kh, kw, co)
  let co = d.z;
  let oh = r.y - i32(d.x * u.dilationH); let ow = r.z - i32(d.y * u.dilationW);
  if (oh < 0 || ow < 0 || oh >= i32(u.outH) || ow >= i32(u.outW)) { return 0.0; }
  return a[((u32(r.x) * u.outH + u32(oh)) * u.outW + u32(ow)) * u.outC + co];
}
fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32 {
  return b[((d.x * u.kW + d.y) * u.inC + col) * u.outC + d.z];
}
// k in mixed radix: (d.x·r1 + d.y)·r2 + d.z = k.
fn digits(k: u32) -> vec3<u32> { return vec3<u32>(k / (u.kW * u.outC), (k / u.outC) % u.kW, k % u.outC); }
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
@compute @workgroup_size(1, 64)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let tile = wid.x + wid.y * groups.x;
  if (tile >= u.tiles) { return; }
  let w = tileOf(tile);
  let batch = w.batch;
  let row0 = w.row * 512u + lid.y * 8u;
  let col0 = w.col * 8u + lid.x;
  if (row0 >= u.M || col0 >= u.N) { return; }
  let a0 = rowA(batch, min(row0 + 0u, u.M - 1u));
  let a1 = rowA(batch, min(row0 + 1u, u.M - 1u));
  let a2 = rowA(batch, min(row0 + 2u, u.M - 1u));
  let a3 = rowA(batch, min(row0 + 3u, u.M - 1u));
  let a4 = rowA(batch, min(row0 + 4u, u.M - 1u));
  let a5 = rowA(batch, min(row0 + 5u, u.M - 1u));
  let a6 = rowA(batch, min(row0 + 6u, u.M - 1u));
  let a7 = rowA(batch, min(row0 + 7u, u.M - 1u));
  let c0 = min(col0 + 0u, u.N - 1u);
  let c1 = min(col0 + 1u, u.N - 1u);
  let c2 = min(col0 + 2u, u.N - 1u);
  let c3 = min(col0 + 3u, u.N - 1u);
  let c4 = min(col0 + 4u, u.N - 1u);
  let c5 = min(col0 + 5u, u.N - 1u);
  let c6 = min(col0 + 6u, u.N - 1u);
  let c7 = min(col0 + 7u, u.N - 1u);
  var acc0: array<f32, 8>;
  var acc1: array<f32, 8>;
  var acc2: array<f32, 8>;
  var acc3: array<f32, 8>;
  var acc4: array<f32, 8>;
  var acc5: array<f32, 8>;
  var acc6: array<f32, 8>;
  var acc7: array<f32, 8>;
  var d = digits(w.kBegin);
  for (var k = w.kBegin; k < w.kEnd; k++) {
    let x0 = loadA(a0, k, d);
  let x1 = loadA(a1, k, d);
  let x2 = loadA(a2, k, d);
  let x3 = loadA(a3, k, d);
  let x4 = loadA(a4, k, d);
  let x5 = loadA(a5, k, d);
  let x6 = loadA(a6, k, d);
  let x7 = loadA(a7, k, d);
    let y0 = loadB(batch, k, d, c0);
  let y1 = loadB(batch, k, d, c1);
  let y2 = loadB(batch, k, d, c2);
  let y3 = loadB(batch, k, d, c3);
  let y4 = loadB(batch, k, d, c4);
  let y5 = loadB(batch, k, d, c5);
  let y6 = loadB(batch, k, d, c6);
  let y7 = loadB(batch, k, d, c7);
    acc0[0] = fma(x0, y0, acc0[0]); acc0[1] = fma(x0, y1, acc0[1]); acc0[2] = fma(x0, y2, acc0[2]); acc0[3] = fma(x0, y3, acc0[3]); acc0[4] = fma(x0, y4, acc0[4]); acc0[5] = fma(x0, y5, acc0[5]); acc0[6] = fma(x0, y6, acc0[6]); acc0[7] = fma(x0, y7, acc0[7]);
    acc1[0] = fma(x1, y0, acc1[0]); acc1[1] = fma(x1, y1, acc1[1]); acc1[2] = fma(x1, y2, acc1[2]); acc1[3] = fma(x1, y3, acc1[3]); acc1[4] = fma(x1, y4, acc1[4]); acc1[5] = fma(x1, y5, acc1[5]); acc1[6] = fma(x1, y6, acc1[6]); acc1[7] = fma(x1, y7, acc1[7]);
    acc2[0] = fma(x2, y0, acc2[0]); acc2[1] = fma(x2, y1, acc2[1]); acc2[2] = fma(x2, y2, acc2[2]); acc2[3] = fma(x2, y3, acc2[3]); acc2[4] = fma(x2, y4, acc2[4]); acc2[5] = fma(x2, y5, acc2[5]); acc2[6] = fma(x2, y6, acc2[6]); acc2[7] = fma(x2, y7, acc2[7]);
    acc3[0] = fma(x3, y0, acc3[0]); acc3[1] = fma(x3, y1, acc3[1]); acc3[2] = fma(x3, y2, acc3[2]); acc3[3] = fma(x3, y3, acc3[3]); acc3[4] = fma(x3, y4, acc3[4]); acc3[5] = fma(x3, y5, acc3[5]); acc3[6] = fma(x3, y6, acc3[6]); acc3[7] = fma(x3, y7, acc3[7]);
    acc4[0] = fma(x4, y0, acc4[0]); acc4[1] = fma(x4, y1, acc4[1]); acc4[2] = fma(x4, y2, acc4[2]); acc4[3] = fma(x4, y3, acc4[3]); acc4[4] = fma(x4, y4, acc4[4]); acc4[5] = fma(x4, y5, acc4[5]); acc4[6] = fma(x4, y6, acc4[6]); acc4[7] = fma(x4, y7, acc4[7]);
    acc5[0] = fma(x5, y0, acc5[0]); acc5[1] = fma(x5, y1, acc5[1]); acc5[2] = fma(x5, y2, acc5[2]); acc5[3] = fma(x5, y3, acc5[3]); acc5[4] = fma(x5, y4, acc5[4]); acc5[5] = fma(x5, y5, acc5[5]); acc5[6] = fma(x5, y6, acc5[6]); acc5[7] = fma(x5, y7, acc5[7]);
    acc6[0] = fma(x6, y0, acc6[0]); acc6[1] = fma(x6, y1, acc6[1]); acc6[2] = fma(x6, y2, acc6[2]); acc6[3] = fma(x6, y3, acc6[3]); acc6[4] = fma(x6, y4, acc6[4]); acc6[5] = fma(x6, y5, acc6[5]); acc6[6] = fma(x6, y6, acc6[6]); acc6[7] = fma(x6, y7, acc6[7]);
    acc7[0] = fma(x7, y0, acc7[0]); acc7[1] = fma(x7, y1, acc7[1]); acc7[2] = fma(x7, y2, acc7[2]); acc7[3] = fma(x7, y3, acc7[3]); acc7[4] = fma(x7, y4, acc7[4]); acc7[5] = fma(x7, y5, acc7[5]); acc7[6] = fma(x7, y6, acc7[6]); acc7[7] = fma(x7, y7, acc7[7]);
    d.z += 1u;
    if (d.z == u.outC) { d.z = 0u; d.y += 1u; if (d.y == u.kW) { d.y = 0u; d.x += 1u; } }
  }
  storeRow(w.base, row0 + 0u, col0, acc0);
  storeRow(w.base, row0 + 1u, col0, acc1);
  storeRow(w.base, row0 + 2u, col0, acc2);
  storeRow(w.base, row0 + 3u, col0, acc3);
  storeRow(w.base, row0 + 4u, col0, acc4);
  storeRow(w.base, row0 + 5u, col0, acc5);
  storeRow(w.base, row0 + 6u, col0, acc6);
  storeRow(w.base, row0 + 7u, col0, acc7);
}
