// Binary elementwise maps (add, sub, mul, div) on float32 in WebAssembly SIMD, for the
// layouts that need no index math: both operands shaped like the output, or one of them a
// single value. Operands are read where they lie in the runtime's memory (operands.ts) and
// four lanes are computed per instruction. IEEE single-precision arithmetic gives the
// reference's values exactly (a float64 add, sub, mul or div of two float32 values rounds
// to the same float32), NaN and ±Inf included. Other ops, dtypes and broadcasts return
// null and run the TypeScript reference.

import type { DType } from '../../dtype.js';
import { FunctionBuilder, type Local } from '../../device/wasm/module-builder.js';
import type { Shape, Tensor } from '../../tensor.js';
import { sizeOf } from '../../tensor.js';
import type { BinaryOp } from '../elementwise.js';
import { wasmKernels } from './module.js';
import { kernelOutput, operandAddress } from './operands.js';

const SIMD_OPS = { add: 'f32x4Add', sub: 'f32x4Sub', mul: 'f32x4Mul', div: 'f32x4Div' } as const;
type SimdOp = keyof typeof SIMD_OPS;
type Layout = 'same' | 'scalarA' | 'scalarB';
const LAYOUTS: Layout[] = ['same', 'scalarA', 'scalarB'];
/** Elements below which the reference loop is as fast as the copies. */
const MIN_SIZE = 1024;

// One invocation of `<op>_<layout>(x, y, out, vectors)` computes out[i] = x[i] op y[i] for
// `vectors` groups of four floats (a scalar operand is splatted across the lanes once).
function binaryFunction(op: SimdOp, layout: Layout): FunctionBuilder {
  const f = new FunctionBuilder(`${op}_${layout}`, ['i32', 'i32', 'i32', 'i32']);
  const [x, y, out, vectors] = f.params as Local[];
  const splat = f.local('v128');
  if (layout === 'scalarA') f.localGet(x!).v128Load32Splat().localSet(splat);
  if (layout === 'scalarB') f.localGet(y!).v128Load32Splat().localSet(splat);
  f.block().loop();
  f.localGet(vectors!).i32Eqz().brIf(1);
  f.localGet(out!);
  if (layout === 'scalarA') f.localGet(splat);
  else f.localGet(x!).v128Load();
  if (layout === 'scalarB') f.localGet(splat);
  else f.localGet(y!).v128Load();
  f[SIMD_OPS[op]]().v128Store();
  for (const p of [layout === 'scalarA' ? null : x, layout === 'scalarB' ? null : y, out]) if (p) f.localGet(p).i32Const(16).i32Add().localSet(p);
  f.localGet(vectors!).i32Const(1).i32Sub().localSet(vectors!);
  f.br(0).end().end();
  return f;
}

export function elementwiseFunctions(): FunctionBuilder[] {
  return (Object.keys(SIMD_OPS) as SimdOp[]).flatMap((op) => LAYOUTS.map((layout) => binaryFunction(op, layout)));
}

export function binaryWasm(op: BinaryOp, a: Tensor, b: Tensor, outShape: Shape, outDtype: DType): Tensor | null {
  const size = sizeOf(outShape);
  if (!(op in SIMD_OPS) || a.dtype !== 'float32' || outDtype !== 'float32' || size < MIN_SIZE) return null;
  const layout: Layout | null = a.size === size && b.size === size ? 'same' : a.size === 1 && b.size === size ? 'scalarA' : b.size === 1 && a.size === size ? 'scalarB' : null;
  if (!layout) return null;
  const rt = wasmKernels();
  if (!rt) return null;
  rt.reset();
  const px = operandAddress(rt, a);
  const py = operandAddress(rt, b);
  const out = px < 0 || py < 0 ? null : kernelOutput(rt, outShape);
  if (!out) return null;
  rt.exports[`${op}_${layout}`]!(px, py, out.address, Math.ceil(size / 4));
  return out.finish();
}
