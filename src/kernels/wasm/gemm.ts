// The CPU device's matrix product in WebAssembly SIMD: C = A·B with A [m×k], B [k×n], all
// three in the runtime's memory:
//   A row-major (row stride lda), or column-major ("transposed": A(i, kk) at kk·lda + i);
//   B row-major with row stride ldb; C row-major with row stride ldc.
// The kernel works in tiles of MR rows × NR columns and reads and writes whole tiles. A
// row past m or a column past n only ever feeds the C row or column of the same index, so
// the caller pads the regions to whole tiles (padding may hold anything) and copies the
// m×n corner of C out. Products accumulate in f32 (the TypeScript reference accumulates in
// f64; tests compare within a tolerance). Multiplication and addition are separate IEEE
// operations, so NaN and ±Inf propagate as in the reference.

import { type FunctionBuilder as F, FunctionBuilder, type Local } from '../../device/wasm/module-builder.js';
import type { WasmRuntime } from '../../device/wasm/runtime.js';

/** Rows of A per tile: each loads as one f32 splat per step of k. */
export const MR = 4;
/** Vectors (4 lanes) of B per tile: NR = 4·NV columns. MR·NV = 8 accumulators, + NV B
 * vectors + 1 splat = 11 of the 16 SIMD registers x86-64 has, so none spill. */
const NV = 2;
export const NR = 4 * NV;

export type ALayout = 'rowMajor' | 'columnMajor';

// One invocation of `gemm_<layout>` computes the C tiles of row blocks [blockStart,
// blockEnd) × column panels [panelStart, panelEnd). Per tile of MR×NR outputs it keeps
// MR·NV accumulators in registers; each step of k loads NV vectors of row kk of B and one
// splat of A per row and does MR·NV vector multiply-adds. Panels are the outer loop so the
// k×NR strip of B stays in cache while every block of A passes it.
export function gemmFunction(layout: ALayout): F {
  const f = new FunctionBuilder(`gemm_${layout}`, new Array(11).fill('i32'));
  const [a, lda, b, ldb, c, ldc, k, blockStart, blockEnd, panelStart, panelEnd] = f.params as Local[];
  const panel = f.local('i32');
  const block = f.local('i32');
  const pb = f.local('i32');
  const pc = f.local('i32');
  const kk = f.local('i32');
  // row-major: one pointer per row, each stepping 4 bytes; column-major: one pointer to
  // the MR contiguous rows of column kk, stepping lda·4 bytes
  const pa = layout === 'rowMajor' ? Array.from({ length: MR }, () => f.local('i32')) : [f.local('i32')];
  const splat = f.local('v128');
  const bv = Array.from({ length: NV }, () => f.local('v128'));
  const acc = Array.from({ length: MR }, () => Array.from({ length: NV }, () => f.local('v128')));

  f.localGet(panelStart!).localSet(panel);
  f.block().loop(); // for panel in [panelStart, panelEnd)
  f.localGet(panel).localGet(panelEnd!).i32GeU().brIf(1);
  f.localGet(blockStart!).localSet(block);
  f.block().loop(); // for block in [blockStart, blockEnd)
  f.localGet(block).localGet(blockEnd!).i32GeU().brIf(1);
  if (layout === 'rowMajor') {
    // pa[r] = a + (block·MR + r)·lda·4
    for (let r = 0; r < MR; r++) f.localGet(a!).localGet(block).i32Const(MR).i32Mul().i32Const(r).i32Add().localGet(lda!).i32Mul().i32Const(4).i32Mul().i32Add().localSet(pa[r]!);
  } else {
    f.localGet(a!).localGet(block).i32Const(MR * 4).i32Mul().i32Add().localSet(pa[0]!); // pa = a + block·MR·4
  }
  f.localGet(b!).localGet(panel).i32Const(NR * 4).i32Mul().i32Add().localSet(pb); // pb = b + panel·NR·4
  for (const row of acc) for (const v of row) f.v128Zero().localSet(v);
  f.localGet(k!).localSet(kk);
  f.loop(); // k times: acc[r][v] += A(r, kk) · B(kk, v)
  for (let v = 0; v < NV; v++) f.localGet(pb).v128Load(16 * v).localSet(bv[v]!);
  for (let r = 0; r < MR; r++) {
    if (layout === 'rowMajor') f.localGet(pa[r]!).v128Load32Splat(0).localSet(splat);
    else f.localGet(pa[0]!).v128Load32Splat(4 * r).localSet(splat);
    for (let v = 0; v < NV; v++) f.localGet(acc[r]![v]!).localGet(splat).localGet(bv[v]!).f32x4Mul().f32x4Add().localSet(acc[r]![v]!);
  }
  if (layout === 'rowMajor') for (const p of pa) f.localGet(p).i32Const(4).i32Add().localSet(p);
  else f.localGet(pa[0]!).localGet(lda!).i32Const(4).i32Mul().i32Add().localSet(pa[0]!);
  f.localGet(pb).localGet(ldb!).i32Const(4).i32Mul().i32Add().localSet(pb);
  f.localGet(kk).i32Const(1).i32Sub().localTee(kk).brIf(0);
  f.end();
  // pc = c + (block·MR·ldc + panel·NR)·4; row r of the tile at pc + r·ldc·4
  f.localGet(c!).localGet(block).i32Const(MR).i32Mul().localGet(ldc!).i32Mul().localGet(panel).i32Const(NR).i32Mul().i32Add().i32Const(4).i32Mul().i32Add().localSet(pc);
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < NV; v++) f.localGet(pc).localGet(acc[r]![v]!).v128Store(16 * v);
    if (r < MR - 1) f.localGet(pc).localGet(ldc!).i32Const(4).i32Mul().i32Add().localSet(pc);
  }
  f.localGet(block).i32Const(1).i32Add().localSet(block);
  f.br(0).end().end();
  f.localGet(panel).i32Const(1).i32Add().localSet(panel);
  f.br(0).end().end();
  return f;
}

/** Multiply-adds below which a product stays on one thread: waking the worker costs more
 * than it saves. */
const PARALLEL_WORK = 1 << 18;

/** Where a product's operands and result lie in the runtime's memory (byte addresses and
 * strides in elements), set up by `gemmRegions`. */
export interface GemmRegions {
  layout: ALayout;
  a: number;
  lda: number;
  b: number;
  ldb: number;
  c: number;
  ldc: number;
}

/** Allocates A (stored as `layout`), B (row-major, row stride n) and C (row stride n
 * rounded up to NR) for an m×n×k product, with the slack the whole-tile reads need; null
 * when the memory cannot hold them. */
export function gemmRegions(rt: WasmRuntime, layout: ALayout, m: number, n: number, k: number): GemmRegions | null {
  const mPad = Math.ceil(m / MR) * MR;
  const nPad = Math.ceil(n / NR) * NR;
  const lda = layout === 'rowMajor' ? k : m;
  const a = rt.alloc(4 * (layout === 'rowMajor' ? mPad * k : k * m + MR));
  const b = rt.alloc(4 * (k * n + NR));
  const c = rt.alloc(4 * mPad * nPad);
  return a < 0 || b < 0 || c < 0 ? null : { layout, a, lda, b, ldb: n, c, ldc: nPad };
}

/** C = A·B for the operands placed in `r`, split across the two threads by column panels
 * (or by row blocks when there is one panel). */
export function runGemm(rt: WasmRuntime, r: GemmRegions, m: number, n: number, k: number): void {
  const blocks = Math.ceil(m / MR);
  const panels = Math.ceil(n / NR);
  const args = (b0: number, b1: number, p0: number, p1: number) => [r.a, r.lda, r.b, r.ldb, r.c, r.ldc, k, b0, b1, p0, p1];
  const name = `gemm_${r.layout}`;
  if (!rt.threaded || m * n * k < PARALLEL_WORK) {
    rt.exports[name]!(...args(0, blocks, 0, panels));
  } else if (panels >= 2) {
    const half = Math.ceil(panels / 2);
    rt.parallel(name, (part) => (part === 0 ? args(0, blocks, 0, half) : args(0, blocks, half, panels)));
  } else {
    const half = Math.ceil(blocks / 2);
    rt.parallel(name, (part) => (part === 0 ? args(0, half, 0, panels) : args(half, blocks, 0, panels)));
  }
}

/** Writes the transpose of a [rows × cols] matrix into memory at element index `at`
 * ([cols × rows]), in square blocks so reads and writes both stay in cache. */
export function transposeInto(src: Float32Array, offset: number, rows: number, cols: number, memory: Float32Array, at: number): void {
  const BLOCK = 32;
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let r = r0; r < r1; r++) {
        const row = offset + r * cols;
        for (let c = c0; c < c1; c++) memory[at + c * rows + r] = src[row + c]!;
      }
    }
  }
}

/** Copies the m×n corner of C (row stride ldc) out to out[outOffset + i·n + j]. */
export function readC(memory: Float32Array, r: GemmRegions, m: number, n: number, out: Float32Array, outOffset: number): void {
  const base = r.c / 4;
  if (r.ldc === n) {
    out.set(memory.subarray(base, base + m * n), outOffset);
    return;
  }
  if (n >= 64) {
    for (let i = 0; i < m; i++) out.set(memory.subarray(base + i * r.ldc, base + i * r.ldc + n), outOffset + i * n);
    return;
  }
  for (let i = 0; i < m; i++) {
    const from = base + i * r.ldc;
    const to = outOffset + i * n;
    for (let j = 0; j < n; j++) out[to + j] = memory[from + j]!; // short rows: a subarray each costs more
  }
}
