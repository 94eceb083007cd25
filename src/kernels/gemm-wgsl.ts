// WGSL pieces shared by the GEMM schedules (gemm.ts, gemm-subgroup.ts): what a kernel family
// supplies (GemmSpec), the uniforms and tile bookkeeping every schedule starts with, and the
// masked store of a row of outputs.

/** A GEMM-shaped kernel family. The WGSL snippets see the uniforms as `u` (fields M, N, K
 * and the family's own `uniforms`) and must only be called with in-range indices. */
export interface GemmSpec {
  /** The variant key prefix: everything that changes the WGSL (not sizes). */
  key: string;
  /** Extra fields of the uniform struct (WGSL, e.g. `aStep: u32, bStep: u32`), in the order
   * of the `uniforms` passed to `gemm`. */
  uniforms: string;
  /** Input bindings from @binding(1) on; the output binding is added after them. */
  inputs: string;
  /** WGSL: `alias RowA = …;`, `fn rowA(batch: u32, row: u32) -> RowA` (what a row of A needs,
   * computed once per row), `fn loadA(r: RowA, k: u32, d: vec3<u32>) -> f32` and
   * `fn loadB(batch: u32, k: u32, d: vec3<u32>, col: u32) -> f32`, plus any helpers they use.
   * d is k in mixed radix (see kRadices). */
  loads: string;
  /** WGSL expressions [r1, r2]: k = (d.x·r1 + d.y)·r2 + d.z, e.g. a conv's (kh, kw, c) with
   * radices (kW, inC). The blocked schedule steps d along with k (no division per step:
   * integer division has no SIMD instruction on a CPU, and per k it cost a conv 2×). */
  kRadices: [string, string];
  /** For the tiled schedule's cooperative loads: true when A's neighbouring elements in
   * memory are along k (so neighbouring invocations should load neighbouring k). */
  aAlongK: boolean;
  /** True when B's neighbouring elements in memory are along k (B read transposed). */
  bAlongK: boolean;
  /** Reads of four floats at a time, along each operand's contiguous dimension (aAlongK,
   * bAlongK), for the subgroup schedule when the sizes allow (gemm-subgroup.ts). */
  vec4?: GemmVec4Reads;
}

export interface GemmVec4Reads {
  /** Input bindings from @binding(1) on, as array<vec4<f32>>. */
  inputs: string;
  /** WGSL: `fn rowA4(batch: u32, row: u32) -> u32`, `fn loadA4(r: u32, k: u32) -> vec4<f32>`
   * (A[row, k…k+3] when aAlongK, else A[row…row+3, k]) and
   * `fn loadB4(batch: u32, k: u32, col: u32) -> vec4<f32>` (B[k…k+3, col] when bAlongK, else
   * B[k, col…col+3]). */
  loads: string;
}

export function header(spec: GemmSpec): string {
  const extra = spec.uniforms.trim() ? `, ${spec.uniforms}` : '';
  const outBinding = 1 + (spec.inputs.match(/@binding/g)?.length ?? 0);
  return /* wgsl */ `
struct Uniforms { M: u32, N: u32, K: u32, tilesX: u32, tilesPerBatch: u32, tiles: u32, batchTiles: u32, kChunk: u32${extra} }
@group(0) @binding(0) var<uniform> u: Uniforms;
${spec.inputs}
@group(0) @binding(${outBinding}) var<storage, read_write> out: array<f32>;
${spec.loads}
// k in mixed radix: (d.x·r1 + d.y)·r2 + d.z = k.
fn digits(k: u32) -> vec3<u32> { return vec3<u32>(k / (${spec.kRadices[0]} * ${spec.kRadices[1]}), (k / ${spec.kRadices[1]}) % ${spec.kRadices[0]}, k % ${spec.kRadices[1]}); }
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
}`;
}

/** WGSL writing row r of an invocation's block: the columns col0 + stride·j that exist. */
export function storeRow(block: number, stride: number, type: string): string {
  return /* wgsl */ `
fn storeRow(base: u32, r: u32, col0: u32, v: ${type}) {
  if (r >= u.M) { return; }
  for (var j = 0u; j < ${block}u; j++) {
    let col = col0 + j * ${stride}u;
    if (col < u.N) { out[base + r * u.N + col] = v[j]; }
  }
}`;
}

/** WGSL opening every schedule's entry point: the workgroup finds its tile (a grid folded
 * into two dimensions, so `tile` may pass the last one) and its batch. The early return is
 * uniform across the workgroup, so it is safe before barriers and subgroup operations;
 * `note` says why where that matters. */
export function tileEntry(workgroupSize: string, note = ''): string {
  return /* wgsl */ `@compute @workgroup_size(${workgroupSize})
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let tile = wid.x + wid.y * groups.x;
  if (tile >= u.tiles) { return; }${note ? ` // ${note}` : ''}
  let w = tileOf(tile);
  let batch = w.batch;`;
}
