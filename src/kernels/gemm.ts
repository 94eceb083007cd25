// The two WGSL shapes of a general matrix multiply, out[b] = A[b]·B[b] (M×K times K×N),
// shared by matmul and by the implicit-GEMM convolutions. A kernel family describes only
// how to read one element of A and of B (`loadA(rowA(batch, row), k)`, `loadB(batch, k, col)`);
// this file wraps those reads in one of three schedules. What A's row index implies (a matrix
// offset, or a pixel and its window for a convolution) is worked out once per row
// (`rowA(batch, row)`), not once per element.
//
//   'tiled'    workgroup tiling: a 16×16 workgroup stages 64×16 of A and 16×64 of B in
//              workgroup memory per step, each invocation owns 4×4 outputs.
//   'subgroup' one 8-lane subgroup per tile, no workgroup memory: each element of A and B
//              is read by one lane and handed to the others with subgroupBroadcast.
//   'blocked'  register blocking, no workgroup memory: each invocation keeps an 8×8 block of
//              outputs in registers (16 rows × up to 16 columns for narrow outputs) and
//              reads A and B straight from storage.
//
// Which one wins depends on the adapter (`gemmVariantFor`): on a real GPU tiling is what
// makes a matmul fast (every element staged once serves 64 FMAs of a workgroup). On a
// software adapter (Mesa's lavapipe/llvmpipe, SwiftShader, WARP) a workgroup runs as a loop
// on one CPU thread, SIMD lanes being invocations, and a barrier splits that loop; a storage
// read inside a loop becomes one scalar load (and branch) per lane, so what counts is how
// many reads feed each FMA. The subgroup schedule reads each element once (about 2× the
// blocked one on lavapipe); the blocked one is for software adapters without fixed 8-lane
// subgroups (4× the tiled one there).
// TENSORLOOP_GEMM=blocked|tiled|subgroup overrides the choice (to bench one against another).
// bench/kernel-tuning.md holds the measurements behind this file's constants.
//
// Both schedules give invocation x the columns col0 + stride·j (stride = the workgroup's
// width) rather than neighbouring ones: neighbouring invocations then read and write
// neighbouring addresses, which is what coalescing on a GPU, and contiguous SIMD lanes on a
// CPU, want. Loads are scalar: vec4 loads need K or N divisible by 4 (or padded copies) and
// were no faster.
//
// Small outputs with a long K (a conv's filter gradient: M·N of a few thousand, K = batch·H·W)
// are split along K: each slice's partial product is computed by its own workgroups and a
// second kernel adds them in slice order (deterministic, no float atomics).
//
// Grids: the workgroups form one linear list (batch-major, then tile row, then tile column),
// which the device folds into 2-D when it passes 65,535; the shader unfolds it.

import type { WebGpuDevice } from '../device/webgpu.js';
import type { Storage } from '../device/device.js';
import { type Uniform, u32 } from '../device/uniforms.js';
import { environmentVariable } from '../platform.js';
import type { Tensor } from '../tensor.js';
import { SUBGROUP_LANES, subgroupSchedule, usesVec4 } from './gemm-subgroup.js';
import { type GemmSpec, header, storeRow, tileEntry } from './gemm-wgsl.js';
import { ELEMENTWISE_MAIN, elementWorkgroups, gpuOutput, isSoftwareAdapter, withScratch } from './wgsl.js';

export type { GemmSpec };

export type GemmVariant = 'blocked' | 'tiled' | 'subgroup';
export const GEMM_VARIANTS: readonly GemmVariant[] = ['blocked', 'tiled', 'subgroup'];

/** Blocked: an 8×8 workgroup of invocations owning 8×8 outputs each = a 64×64 tile. Fewer
 * outputs per invocation let the loads (each bounds-clamped by Dawn's robustness pass)
 * dominate. 64 invocations = 8 SIMD rounds of 8 lanes on a 256-bit CPU. */
const BLOCK = 8;
/** Narrow outputs (N < 64, e.g. a conv's 6 or 16 output channels) would leave most of an
 * 8×8 block's columns clamped duplicates. There the workgroup is 64 invocations down the
 * rows, each owning all columns of its rows (up to 16, the next power of two ≥ N) and
 * 64 / cols rows (at most 16): 2–5× faster than 8×8 blocks on LeNet's convolutions. A
 * variant per width class, not per size. */
const NARROW_WG_Y = 64;
const NARROW_MAX_COLS = 16;
const NARROW_MAX_ROWS = 16;
const NARROW_OUTPUTS = 64;
const BLOCKED_WG_X = 8;
const BLOCKED_WG_Y = 8;
/** Tiled: 64×64 output tile from a 16×16 workgroup (4×4 each), K staged 16 at a time:
 * A 16×64 + B 16×64 floats = 8 KiB of workgroup memory, half of WebGPU's guaranteed 16 KiB,
 * and 256 invocations, WebGPU's guaranteed maximum. */
const TILE = 64;
const TILE_K = 16;
/** Split-K: an output with fewer workgroups than this (too few to fill a GPU's cores, or
 * lavapipe's threads) has K cut into slices of at least SPLIT_K_MIN_CHUNK, each slice's
 * partial product computed by its own workgroups, then summed by a second kernel. */
const SPLIT_K_BELOW_WORKGROUPS = 64;
const SPLIT_K_MIN_CHUNK = 256;


export { isSoftwareAdapter }; // moved to wgsl.ts (reductions tune by it too); kept here for importers

/** True when `device` can run the subgroup schedule: it has the subgroups feature and its
 * subgroups always hold exactly SUBGROUP_LANES lanes (the schedule's broadcasts name lanes). */
export function hasSubgroupSchedule(device: WebGpuDevice): boolean {
  const { subgroupMinSize, subgroupMaxSize } = device.adapterInfo;
  return device.features.has('subgroups') && subgroupMinSize === SUBGROUP_LANES && subgroupMaxSize === SUBGROUP_LANES;
}

/** The schedule for this device: TENSORLOOP_GEMM if set, else on a software adapter
 * 'subgroup' where it can run and 'blocked' otherwise, and 'tiled' on a GPU (see the header
 * for the measurements behind the rule). */
export function gemmVariantFor(device: WebGpuDevice): GemmVariant {
  const forced = environmentVariable('TENSORLOOP_GEMM');
  if (forced === 'blocked' || forced === 'tiled' || (forced === 'subgroup' && hasSubgroupSchedule(device))) return forced;
  if (!isSoftwareAdapter(device.adapterInfo)) return 'tiled';
  return hasSubgroupSchedule(device) ? 'subgroup' : 'blocked';
}



// One invocation computes out[batch, row0 + i, col0 + BLOCKED_WG_X·j] for i < blockRows,
// j < blockCols (8×8, or 16×4/2/1 for narrow outputs): up to 64 outputs in registers, each
// loaded A element feeding blockCols FMAs and each B element blockRows. Rows and
// columns past the edge are clamped to the last one (computed, never stored), so the loop
// has no branches.
function blockedWgsl(spec: GemmSpec, { wgX, wgY, rows: blockRows, cols: blockCols }: BlockShape): string {
  const [r1, r2] = spec.kRadices;
  const stride = wgX; // invocation x owns columns col0 + wgX·j
  const rows = [...Array(blockRows).keys()];
  const cols = [...Array(blockCols).keys()];
  const lines = (f: (i: number) => string, over = rows) => over.map(f).join('\n  ');
  return /* wgsl */ `${header(spec)}
${storeRow(blockCols, stride, `array<f32, ${blockCols}>`)}
${tileEntry(`${wgX}, ${wgY}`)}
  let row0 = w.row * ${wgY * blockRows}u + lid.y * ${blockRows}u;
  let col0 = w.col * ${wgX * blockCols}u + lid.x;
  if (row0 >= u.M || col0 >= u.N) { return; }
  ${lines((i) => `let a${i} = rowA(batch, min(row0 + ${i}u, u.M - 1u));`)}
  ${lines((j) => `let c${j} = min(col0 + ${j * stride}u, u.N - 1u);`, cols)}
  ${lines((i) => `var acc${i}: array<f32, ${blockCols}>;`)}
  var d = digits(w.kBegin);
  for (var k = w.kBegin; k < w.kEnd; k++) {
    ${lines((i) => `let x${i} = loadA(a${i}, k, d);`)}
    ${lines((j) => `let y${j} = loadB(batch, k, d, c${j});`, cols)}
    ${rows.map((i) => cols.map((j) => `acc${i}[${j}] = fma(x${i}, y${j}, acc${i}[${j}]);`).join(' ')).join('\n    ')}
    d.z += 1u;
    if (d.z == ${r2}) { d.z = 0u; d.y += 1u; if (d.y == ${r1}) { d.y = 0u; d.x += 1u; } }
  }
  ${lines((i) => `storeRow(w.base, row0 + ${i}u, col0, acc${i});`)}
}`;
}

// One invocation computes out[batch, tileRow + y + 16·i, tileCol + x + 16·j] for i, j < 4.
// Per step of 16 along K the workgroup's 256 invocations copy a 64×16 block of A and a 16×64
// block of B into workgroup memory (4 elements each, zero past the edges), then each
// invocation does its 4×4×16 FMAs from there.
function tiledWgsl(spec: GemmSpec): string {
  const aIndex = spec.aAlongK ? `let r = i / ${TILE_K}u; let kk = i % ${TILE_K}u;` : `let r = i % ${TILE}u; let kk = i / ${TILE}u;`;
  const bIndex = spec.bAlongK ? `let c = i / ${TILE_K}u; let kk = i % ${TILE_K}u;` : `let c = i % ${TILE}u; let kk = i / ${TILE}u;`;
  return /* wgsl */ `${header(spec)}
${storeRow(4, 16, 'vec4<f32>')}
var<workgroup> tileA: array<array<f32, ${TILE}>, ${TILE_K}>; // [k][row]
var<workgroup> tileB: array<array<f32, ${TILE}>, ${TILE_K}>; // [k][col]
${tileEntry('16, 16', 'uniform across the workgroup: safe before barriers')}
  let tileRow = w.row * ${TILE}u;
  let tileCol = w.col * ${TILE}u;
  let tid = lid.y * 16u + lid.x;
  var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  for (var k0 = w.kBegin; k0 < w.kEnd; k0 += ${TILE_K}u) {
    for (var l = 0u; l < ${(TILE * TILE_K) / 256}u; l++) {
      let i = tid + l * 256u;
      {
        ${aIndex}
        let row = tileRow + r; let k = k0 + kk;
        var v = 0.0;
        if (row < u.M && k < w.kEnd) { v = loadA(rowA(batch, row), k, digits(k)); }
        tileA[kk][r] = v;
      }
      {
        ${bIndex}
        let col = tileCol + c; let k = k0 + kk;
        var v = 0.0;
        if (col < u.N && k < w.kEnd) { v = loadB(batch, k, digits(k), col); }
        tileB[kk][c] = v;
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TILE_K}u; kk++) {
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
}`;
}

/** [tile rows, tile columns, key suffix, WGSL] of a schedule for an n-column output. */
function schedule(spec: GemmSpec, variant: GemmVariant, m: number, n: number, k: number, maxRows: number): [number, number, string, () => string] {
  if (variant === 'tiled') return [TILE, TILE, 'tiled', () => tiledWgsl(spec)];
  if (variant === 'subgroup') return subgroupSchedule(spec, m, n, k);
  const b = blockShape(n, maxRows);
  return [b.wgY * b.rows, b.wgX * b.cols, `blocked/${b.wgX}x${b.wgY}/${b.rows}x${b.cols}`, () => blockedWgsl(spec, b)];
}

/** The blocked schedule's workgroup (wgX × wgY invocations) and block (rows × cols outputs
 * per invocation). */
interface BlockShape {
  wgX: number;
  wgY: number;
  rows: number;
  cols: number;
}

function blockShape(n: number, maxRows: number): BlockShape {
  if (n >= BLOCKED_WG_X * BLOCK) return { wgX: BLOCKED_WG_X, wgY: BLOCKED_WG_Y, rows: Math.min(BLOCK, maxRows), cols: BLOCK };
  const cols = Math.min(NARROW_MAX_COLS, 2 ** Math.ceil(Math.log2(Math.max(1, n))));
  return { wgX: 1, wgY: NARROW_WG_Y, rows: Math.min(maxRows, NARROW_MAX_ROWS, NARROW_OUTPUTS / cols), cols };
}

/** Chromium's SwiftShader compiles a blocked convolution in a time that grows steeply with
 * the rows an invocation owns (each row is one more bounds-checked window load per k step):
 * 2 rows 0.3 s, 4 rows 1.4 s, 6 rows 3.6 s, 8 rows over 30 s. There blocks have 4 rows. */
const SWIFTSHADER_MAX_ROWS = 4;

function isSwiftShader(device: WebGpuDevice): boolean {
  return /swiftshader/i.test(`${device.adapterInfo.architecture} ${device.adapterInfo.description} ${device.adapterInfo.device}`);
}

/** How many slices to cut K into: 1, unless the output is too small to keep the device busy
 * (a conv's filter gradient: a few hundred outputs summing over batch·H·W) and K is long. */
function kSplits(tiles: number, k: number): number {
  if (tiles >= SPLIT_K_BELOW_WORKGROUPS || k < 2 * SPLIT_K_MIN_CHUNK) return 1;
  return Math.min(Math.ceil(SPLIT_K_BELOW_WORKGROUPS / tiles), Math.floor(k / SPLIT_K_MIN_CHUNK));
}

/** Runs a GEMM family: out = [batch, M, N] (row-major, float32) from `inputs`. */
export function gemm(
  device: WebGpuDevice,
  spec: GemmSpec,
  variant: GemmVariant,
  inputs: readonly Storage[],
  outShape: readonly number[],
  sizes: { batch: number; m: number; n: number; k: number },
  uniforms: readonly Uniform[] = [],
): Tensor {
  const { batch, m, n, k } = sizes;
  const size = batch * m * n;
  const [tileM, tileN, keySuffix, wgsl] = schedule(spec, variant, m, n, k, isSwiftShader(device) ? SWIFTSHADER_MAX_ROWS : Infinity);
  const tilesX = Math.ceil(n / tileN);
  const tilesPerBatch = Math.ceil(m / tileM) * tilesX;
  const batchTiles = tilesPerBatch * batch;
  const splits = kSplits(batchTiles, k);
  const kChunk = variant === 'subgroup' && usesVec4(spec, m, n, k) ? 4 * Math.ceil(k / splits / 4) : Math.ceil(k / splits); // vec4 reads step k by 4
  const out = gpuOutput(device, outShape, 'float32');
  const product = (output: Storage): void =>
    device.dispatch({
      key: `${spec.key}/${keySuffix}`,
      wgsl,
      inputs,
      outputs: [output],
      uniforms: [u32(m), u32(n), u32(k), u32(tilesX), u32(tilesPerBatch), u32(batchTiles * splits), u32(batchTiles), u32(kChunk), ...uniforms],
      workgroups: batchTiles * splits,
    });
  // one split writes the output directly; several write partial products, then summed
  if (splits === 1) {
    product(out.storage);
    return out;
  }
  withScratch(device, [{ dtype: 'float32', size: splits * size }], (partials) => {
    product(partials);
    device.dispatch({
      key: 'gemm/sumSplits',
      wgsl: SUM_SPLITS_WGSL,
      inputs: [partials],
      outputs: [out.storage],
      uniforms: [u32(size), u32(splits)],
      workgroups: elementWorkgroups(size),
    });
  });
  return out;
}

// The second pass of split-K: one invocation adds one output's partial products, in split
// order (deterministic, unlike float atomics).
const SUM_SPLITS_WGSL = /* wgsl */ `
struct Uniforms { size: u32, splits: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  var s = 0.0;
  for (var i = 0u; i < u.splits; i++) { s += partials[i * u.size + index]; }
  out[index] = s;
}`;
