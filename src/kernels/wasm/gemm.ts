// The CPU device's matrix product in WebAssembly SIMD: C = A·B with A [m×k], B [k×n] and
// C [m×n], all three in the runtime's memory, read and written where they lie:
//   A row-major (A(i, kk) at i·lda + kk) or column-major (at kk·lda + i: a transposed A);
//   B row-major (B(kk, j) at kk·ldb + j) or transposed (at j·ldb + kk);
//   C row-major with row stride ldc.
// The kernel works in tiles of MR rows × NR columns. For each column panel (NR columns of
// B) it first packs the panel into a small buffer, k rows of NR contiguous floats (zero
// past column n): whatever B's layout, the tile loop then reads B sequentially, and the
// k×NR panel stays in the L1 cache while every row block of A passes it. A tile that
// overhangs row m or column n is computed whole into an edge buffer and only its part
// inside C is copied, so C is written exactly; rows of A past m are read as row m-1
// (row-major) or from whatever follows the column (column-major: the heap keeps a few
// bytes mapped past its top for that); either only feeds discarded outputs.
// Products accumulate in f32 (the TypeScript reference accumulates in f64; tests compare
// within a tolerance). Multiplication and addition are separate IEEE operations, so NaN
// and ±Inf propagate as in the reference.

import { FunctionBuilder, type Local, forRange } from '../../device/wasm/module-builder.js';
import type { WasmRuntime } from '../../device/wasm/runtime.js';

/** Rows of A per tile: each loads as one f32 splat per step of k. */
export const MR = 4;
/** Vectors (4 lanes) of B per tile: NR = 4·NV columns. MR·NV = 8 accumulators, + NV B
 * vectors + 1 splat = 11 of the 16 SIMD registers x86-64 has, so none spill. */
const NV = 2;
export const NR = 4 * NV;

export type ALayout = 'rowMajor' | 'columnMajor';
export type BLayout = 'rowMajor' | 'transposed';

/** Emits `p += step` for a pointer local (step: bytes, a constant or a local times `scale`). */
function advance(f: FunctionBuilder, p: Local, step: number | Local, scale = 1): void {
  f.localGet(p);
  if (typeof step === 'number') f.i32Const(step);
  else {
    f.localGet(step);
    if (scale !== 1) f.i32Const(scale).i32Mul();
  }
  f.i32Add().localSet(p);
}

// One invocation of `gemm_<A>_<B>(a, lda, b, ldb, c, ldc, m, n, k, start, end, pack, edge)`
// computes C tiles start…end-1, numbered panel by panel (tile u is row block u mod blocks
// of column panel u div blocks), packing a panel when it enters one. `pack` (k·NR floats)
// and `edge` (MR·NR floats, then the index of the panel in `pack`: -1 before the product's
// first) are this thread's scratch, kept across its chunks of one product so that a panel
// split into several chunks (a tall, narrow product) is packed once per thread. Per tile it keeps MR·NV accumulators in registers;
// each step of k loads NV vectors of the packed panel and one splat of A per row, and does
// MR·NV vector multiply-adds.
export function gemmFunction(aLayout: ALayout, bLayout: BLayout): FunctionBuilder {
  const f = new FunctionBuilder(`gemm_${aLayout}_${bLayout}`, new Array(13).fill('i32'));
  const [a, lda, b, ldb, c, ldc, m, n, k, start, end, pack, edge] = f.params as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const unit = f.local('i32');
  const packed = f.local('i32'); // the panel in `pack` (-1: none yet in this product)
  const blocks = f.local('i32');
  const panel = f.local('i32');
  const block = f.local('i32');
  const columns = f.local('i32'); // columns of this panel inside C (≤ NR)
  const rows = f.local('i32'); // rows of this block inside C (≤ MR)
  const i = f.local('i32');
  const j = f.local('i32');
  const src = f.local('i32');
  const dst = f.local('i32');
  const pb = f.local('i32');
  const pc = f.local('i32');
  const kk = f.local('i32');
  // row-major A: one pointer per row, each stepping 4 bytes; column-major: one pointer to
  // the MR contiguous rows of column kk, stepping lda·4 bytes
  const pa = aLayout === 'rowMajor' ? Array.from({ length: MR }, () => f.local('i32')) : [f.local('i32')];
  const splat = f.local('v128');
  const bv = Array.from({ length: NV }, () => f.local('v128'));
  const acc = Array.from({ length: MR }, () => Array.from({ length: NV }, () => f.local('v128')));

  f.localGet(m).i32Const(MR - 1).i32Add().i32Const(MR).i32DivU().localSet(blocks);
  f.localGet(edge).i32Load(4 * MR * NR).localSet(packed);
  forRange(f, unit, start, end, () => {
    f.localGet(unit).localGet(blocks).i32DivU().localSet(panel);
    f.localGet(unit).localGet(blocks).i32RemU().localSet(block);
    // columns = min(NR, n - panel·NR)
    f.i32Const(NR).localGet(n).localGet(panel).i32Const(NR).i32Mul().i32Sub().localTee(columns);
    f.localGet(columns).i32Const(NR).i32GtU().select().localSet(columns);
    f.localGet(panel).localGet(packed).i32Eq().i32Eqz().if(); // a panel this thread has not packed yet
    packPanel(f, bLayout, { b, ldb, k, panel, columns, pack, i, j, src, dst });
    f.localGet(panel).localSet(packed);
    f.localGet(edge).localGet(packed).i32Store(4 * MR * NR);
    f.end();
    // the tile (block, panel)
    // rows = min(MR, m - block·MR)
    f.i32Const(MR).localGet(m).localGet(block).i32Const(MR).i32Mul().i32Sub().localTee(rows);
    f.localGet(rows).i32Const(MR).i32GtU().select().localSet(rows);
    if (aLayout === 'rowMajor') {
      // pa[r] = a + min(block·MR + r, m - 1)·lda·4
      for (let r = 0; r < MR; r++) {
        f.localGet(a).localGet(block).i32Const(MR).i32Mul().i32Const(r).i32Add();
        f.localGet(m).i32Const(1).i32Sub();
        f.i32Const(r).localGet(rows).i32LtU().select(); // row inside C ? block·MR + r : m - 1
        f.localGet(lda).i32Mul().i32Const(4).i32Mul().i32Add().localSet(pa[r]!);
      }
    } else {
      f.localGet(a).localGet(block).i32Const(MR * 4).i32Mul().i32Add().localSet(pa[0]!); // pa = a + block·MR·4
    }
    f.localGet(pack).localSet(pb);
    for (const row of acc) for (const v of row) f.v128Zero().localSet(v);
    f.localGet(k).localSet(kk);
    f.loop(); // k times: acc[r][v] += A(r, kk) · B(kk, v)
    for (let v = 0; v < NV; v++) f.localGet(pb).v128Load(16 * v).localSet(bv[v]!);
    for (let r = 0; r < MR; r++) {
      if (aLayout === 'rowMajor') f.localGet(pa[r]!).v128Load32Splat(0).localSet(splat);
      else f.localGet(pa[0]!).v128Load32Splat(4 * r).localSet(splat);
      for (let v = 0; v < NV; v++) f.localGet(acc[r]![v]!).localGet(splat).localGet(bv[v]!).f32x4Mul().f32x4Add().localSet(acc[r]![v]!);
    }
    if (aLayout === 'rowMajor') for (const p of pa) advance(f, p, 4);
    else advance(f, pa[0]!, lda, 4);
    advance(f, pb, NR * 4);
    f.localGet(kk).i32Const(1).i32Sub().localTee(kk).brIf(0);
    f.end();
    // pc = c + (block·MR·ldc + panel·NR)·4
    f.localGet(c).localGet(block).i32Const(MR).i32Mul().localGet(ldc).i32Mul().localGet(panel).i32Const(NR).i32Mul().i32Add().i32Const(4).i32Mul().i32Add().localSet(pc);
    f.localGet(rows).i32Const(MR).i32LtU().localGet(columns).i32Const(NR).i32LtU().i32Or().if();
    storeTile(f, acc, edge, dst, () => f.i32Const(NR * 4)); // an overhanging tile: whole into the edge buffer,
    forRange(f, i, 0, rows, () => {
      // then the rows × columns inside C
      forRange(f, j, 0, columns, () => {
        f.localGet(pc).localGet(i).localGet(ldc).i32Mul().localGet(j).i32Add().i32Const(4).i32Mul().i32Add();
        f.localGet(edge).localGet(i).i32Const(NR).i32Mul().localGet(j).i32Add().i32Const(4).i32Mul().i32Add().f32Load();
        f.f32Store();
      });
    });
    f.else();
    storeTile(f, acc, pc, dst, () => f.localGet(ldc).i32Const(4).i32Mul());
    f.end();
  });
  return f;
}

/** Emits the stores of the MR×NR accumulators to `base`, rows `rowBytes()` apart (`p`: a
 * pointer local it may clobber). */
function storeTile(f: FunctionBuilder, acc: Local[][], base: Local, p: Local, rowBytes: () => void): void {
  f.localGet(base).localSet(p);
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < NV; v++) f.localGet(p).localGet(acc[r]![v]!).v128Store(16 * v);
    if (r < MR - 1) {
      f.localGet(p);
      rowBytes();
      f.i32Add().localSet(p);
    }
  }
}

interface PackLocals {
  b: Local;
  ldb: Local;
  k: Local;
  panel: Local;
  columns: Local;
  pack: Local;
  i: Local;
  j: Local;
  src: Local;
  dst: Local;
}

/** Emits the packing of column panel `panel` of B into `pack`: pack[kk·NR + j] =
 * B(kk, panel·NR + j) for j < columns, 0 for the columns past n. */
function packPanel(f: FunctionBuilder, layout: BLayout, { b, ldb, k, panel, columns, pack, i, j, src, dst }: PackLocals): void {
  // a partial panel: zero it first, then copy its columns one float at a time
  f.localGet(columns).i32Const(NR).i32LtU().if();
  f.localGet(pack).localSet(dst);
  forRange(f, i, 0, k, () => {
    for (let v = 0; v < NV; v++) f.localGet(dst).v128Zero().v128Store(16 * v);
    advance(f, dst, NR * 4);
  });
  f.end();
  if (layout === 'rowMajor') {
    // src = b + panel·NR·4, one row of B (ldb·4 bytes) per step of kk
    f.localGet(b).localGet(panel).i32Const(NR * 4).i32Mul().i32Add().localSet(src);
    f.localGet(pack).localSet(dst);
    f.localGet(columns).i32Const(NR).i32LtU().if();
    forRange(f, i, 0, k, () => {
      forRange(f, j, 0, columns, () => {
        f.localGet(dst).localGet(j).i32Const(4).i32Mul().i32Add();
        f.localGet(src).localGet(j).i32Const(4).i32Mul().i32Add().f32Load();
        f.f32Store();
      });
      advance(f, src, ldb, 4);
      advance(f, dst, NR * 4);
    });
    f.else();
    forRange(f, i, 0, k, () => {
      for (let v = 0; v < NV; v++) f.localGet(dst).localGet(src).v128Load(16 * v).v128Store(16 * v);
      advance(f, src, ldb, 4);
      advance(f, dst, NR * 4);
    });
    f.end();
  } else {
    // column j of the panel is row panel·NR + j of the stored Bᵀ: contiguous along kk
    forRange(f, j, 0, columns, () => {
      f.localGet(b).localGet(panel).i32Const(NR).i32Mul().localGet(j).i32Add().localGet(ldb).i32Mul().i32Const(4).i32Mul().i32Add().localSet(src);
      f.localGet(pack).localGet(j).i32Const(4).i32Mul().i32Add().localSet(dst);
      forRange(f, i, 0, k, () => {
        f.localGet(dst).localGet(src).f32Load().f32Store();
        advance(f, src, 4);
        advance(f, dst, NR * 4);
      });
    });
  }
}

/** Multiply-adds below which a product stays on one thread: waking the worker costs more
 * than it saves. */
const PARALLEL_WORK = 1 << 18;

/** Where a product's operands and result lie in the runtime's memory: byte addresses, and
 * strides in elements. */
export interface GemmOperands {
  a: number;
  lda: number;
  aLayout: ALayout;
  b: number;
  ldb: number;
  bLayout: BLayout;
  c: number;
  ldc: number;
}

/** Each thread's pack and edge buffers for products with inner size up to k, from
 * scratch; null when scratch is full. */
export type GemmBuffers = [number[], number[]];
export function gemmBuffers(rt: WasmRuntime, k: number): GemmBuffers | null {
  const buffers: GemmBuffers = [[], []];
  for (let t = 0; t < (rt.threaded ? 2 : 1); t++) {
    const pack = rt.alloc(4 * k * NR);
    const edge = rt.alloc(4 * MR * NR + 4);
    if (pack < 0 || edge < 0) return null;
    buffers[t] = [pack, edge];
  }
  return buffers;
}

/** C = A·B for m×n×k, its tiles shared between the two threads (runtime.ts `parallel`),
 * with buffers from gemmBuffers (by default, new ones). False when scratch is full
 * (nothing was computed). */
export function runGemm(rt: WasmRuntime, o: GemmOperands, m: number, n: number, k: number, buffers = gemmBuffers(rt, k)): boolean {
  if (!buffers) return false;
  const tiles = Math.ceil(m / MR) * Math.ceil(n / NR);
  const threads = buffers[1].length > 0 && rt.threaded && m * n * k >= PARALLEL_WORK ? 2 : 1;
  for (let t = 0; t < threads; t++) new Int32Array(rt.heap.memory.buffer, buffers[t]![1]! + 4 * MR * NR, 1)[0] = -1; // nothing packed yet
  const args = [o.a, o.lda, o.b, o.ldb, o.c, o.ldc, m, n, k];
  const name = `gemm_${o.aLayout}_${o.bLayout}`;
  if (threads === 1) rt.exports[name]!(...args, 0, tiles, ...buffers[0]);
  else rt.parallel(name, args, tiles, buffers);
  return true;
}
