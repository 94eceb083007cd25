// ---- WGSL of kernel matmul, variant NN/tiled
struct Uniforms { M: u32, N: u32, K: u32, tilesX: u32, tilesPerBatch: u32, tiles: u32, batchTiles: u32, kChunk: u32, aStep: u32, bStep: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

alias RowA = u32; // where A's row starts
fn rowA(batch: u32, row: u32) -> u32 { return batch * u.aStep + row * u.K; }
fn loadA(start: u32, k: u32, d: vec3<u32>) -> f32 { return a[start + k]; }
fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32 { return b[batch * u.bStep + k * u.N + col]; }
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
    let col = col0 + j * 16u;
    if (col < u.N) { out[base + r * u.N + col] = v[j]; }
  }
}
var<workgroup> tileA: array<array<f32, 64>, 16>; // [k][row]
var<workgroup> tileB: array<array<f32, 64>, 16>; // [k][col]
@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let tile = wid.x + wid.y * groups.x;
  if (tile >= u.tiles) { return; } // uniform across the workgroup: safe before barriers
  let w = tileOf(tile);
  let batch = w.batch;
  let tileRow = w.row * 64u;
  let tileCol = w.col * 64u;
  let tid = lid.y * 16u + lid.x;
  var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  for (var k0 = w.kBegin; k0 < w.kEnd; k0 += 16u) {
    for (var l = 0u; l < 4u; l++) {
      let i = tid + l * 256u;
      {
        let r = i / 16u; let kk = i % 16u;
        let row = tileRow + r; let k = k0 + kk;
        var v = 0.0;
        if (row < u.M && k < w.kEnd) { v = loadA(rowA(batch, row), k, digits(k)); }
        tileA[kk][r] = v;
      }
      {
        let c = i % 64u; let kk = i / 64u;
        let col = tileCol + c; let k = k0 + kk;
        var v = 0.0;
        if (col < u.N && k < w.kEnd) { v = loadB(batch, k, digits(k), col); }
        tileB[kk][c] = v;
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let a = vec4<f32>(tileA[kk][lid.y], tileA[kk][lid.y + 16u], tileA[kk][lid.y + 32u], tileA[kk][lid.y + 48u]);
      let b = vec4<f32>(tileB[kk][lid.x], tileB[kk][lid.x + 16u], tileB[kk][lid.x + 32u], tileB[kk][lid.x + 48u]);
      acc[0] = fma(vec4(a.x), b, acc[0]); acc[1] = fma(vec4(a.y), b, acc[1]);
      acc[2] = fma(vec4(a.z), b, acc[2]); acc[3] = fma(vec4(a.w), b, acc[3]);
    }
    workgroupBarrier();
  }
  let col0 = tileCol + lid.x;
  if (col0 >= u.N) { return; }
  for (var i = 0u; i < 4u; i++) { storeRow(w.base, tileRow + lid.y + 16u * i, col0, acc[i]); }
}
