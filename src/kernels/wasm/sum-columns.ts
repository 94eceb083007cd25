// Column sums (../sum-columns.ts: y[k] = Σ_r x[r, k], a bias gradient) in WebAssembly SIMD.
// The reference adds the rows in order into float64 accumulators and rounds once; this
// does the same two columns at a time (f32 pairs promoted to f64x2), so the sums are the
// reference's exactly. With an odd number of columns each row's last pair reads one float
// of the next row into a spare accumulator that is never stored.

import { FunctionBuilder, type Local } from '../../device/wasm/module-builder.js';
import type { Tensor } from '../../tensor.js';
import { wasmKernels } from './module.js';
import { kernelOutput, operandAddress } from './operands.js';

/** Elements below which the reference loop is as fast. */
const MIN_SIZE = 1024;

// One invocation of `sumColumns(x, acc, out, rows, columns)` sums the `rows` rows of
// `columns` floats at x into ⌈columns/2⌉ f64x2 accumulators at acc (zeroed first), then
// stores each rounded to f32 at out.
function sumColumnsFunction(): FunctionBuilder {
  const f = new FunctionBuilder('sumColumns', ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [x, acc, out, rows, columns] = f.params as [Local, Local, Local, Local, Local];
  const pairs = f.local('i32');
  const left = f.local('i32');
  const px = f.local('i32');
  const pa = f.local('i32');
  const loop = (count: Local, pointers: [Local, number][], body: () => void) => {
    f.localGet(pairs).localSet(count);
    f.block().loop();
    f.localGet(count).i32Eqz().brIf(1);
    body();
    for (const [p, step] of pointers) f.localGet(p).i32Const(step).i32Add().localSet(p);
    f.localGet(count).i32Const(1).i32Sub().localSet(count);
    f.br(0).end().end();
  };
  f.localGet(columns).i32Const(1).i32Add().i32Const(2).i32DivU().localSet(pairs);
  f.localGet(acc).localSet(pa);
  loop(left, [[pa, 16]], () => f.localGet(pa).v128Zero().v128Store());
  f.block().loop(); // for each row
  f.localGet(rows).i32Eqz().brIf(1);
  f.localGet(x).localSet(px);
  f.localGet(acc).localSet(pa);
  loop(left, [[px, 8], [pa, 16]], () => {
    f.localGet(pa).localGet(pa).v128Load().localGet(px).v128Load64Zero().f64x2PromoteLowF32x4().f64x2Add().v128Store();
  });
  f.localGet(x).localGet(columns).i32Const(4).i32Mul().i32Add().localSet(x);
  f.localGet(rows).i32Const(1).i32Sub().localSet(rows);
  f.br(0).end().end();
  f.localGet(acc).localSet(pa);
  loop(left, [[pa, 16], [out, 8]], () => f.localGet(out).localGet(pa).v128Load().f32x4DemoteF64x2Zero().v128Store64Lane0());
  return f;
}

export function sumColumnsFunctions(): FunctionBuilder[] {
  return [sumColumnsFunction()];
}

export function sumColumnsWasm(x: Tensor, rows: number, columns: number): Tensor | null {
  if (x.size < MIN_SIZE || rows * columns !== x.size) return null;
  const rt = wasmKernels();
  if (!rt) return null;
  rt.reset();
  const px = operandAddress(rt, x);
  const acc = rt.alloc(8 * (columns + 1));
  const out = px < 0 || acc < 0 ? null : kernelOutput(rt, [columns]);
  if (!out) return null;
  rt.exports.sumColumns!(px, acc, out.address, rows, columns);
  return out.finish();
}
