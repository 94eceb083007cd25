// The fused bias + activation of Dense and Conv2D and relu's gradient (see
// ../bias-activation.ts for the reference loops) in WebAssembly SIMD. Both are pure IEEE
// f32 arithmetic and comparisons, so the values match the reference exactly:
//   relu(v) = v <= 0 ? +0 : v  (−0 and negatives give +0, NaN stays NaN)
//   dz = dy · (y > 0 ? 1 : 0)  (a product, so NaN or ±Inf in dy stays NaN where the gate is 0)
// A bias of C floats with C not a multiple of 4 (6 conv channels) is repeated into a row of
// lcm(C, 4) floats in scratch, so the vector loop still sees whole vectors; small tensors,
// and those whose size is not a multiple of that row, run the reference.

import { FunctionBuilder, type Local } from '../../device/wasm/module-builder.js';
import type { WasmRuntime } from '../../device/wasm/runtime.js';
import type { Shape, Tensor } from '../../tensor.js';
import type { FusedActivation } from '../bias-activation.js';
import { cpuData } from '../kernel.js';
import { wasmKernels } from './module.js';
import { kernelOutput, operandAddress } from './operands.js';

const MIN_SIZE = 1024;

// One invocation of `biasActivation_<act>(x, bias, out, rows, vectorsPerRow)` computes
// out = act(x + bias) for `rows` rows of 4·vectorsPerRow floats, bias repeating each row.
function biasActivationFunction(activation: FusedActivation): FunctionBuilder {
  const f = new FunctionBuilder(`biasActivation_${activation}`, ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [x, bias, out, rows, perRow] = f.params as Local[];
  const pb = f.local('i32');
  const left = f.local('i32');
  const v = f.local('v128');
  f.block().loop(); // for each row
  f.localGet(rows!).i32Eqz().brIf(1);
  f.localGet(bias!).localSet(pb);
  f.localGet(perRow!).localSet(left);
  f.block().loop(); // for each vector of the row
  f.localGet(left).i32Eqz().brIf(1);
  f.localGet(x!).v128Load().localGet(pb).v128Load().f32x4Add().localSet(v);
  f.localGet(out!);
  if (activation === 'relu') f.v128Zero().localGet(v).localGet(v).v128Zero().f32x4Le().v128Bitselect(); // v <= 0 ? 0 : v
  else f.localGet(v);
  f.v128Store();
  for (const p of [x!, pb, out!]) f.localGet(p).i32Const(16).i32Add().localSet(p);
  f.localGet(left).i32Const(1).i32Sub().localSet(left);
  f.br(0).end().end();
  f.localGet(rows!).i32Const(1).i32Sub().localSet(rows!);
  f.br(0).end().end();
  return f;
}

// One invocation of `reluGradient(dy, y, out, vectors)` computes out = dy · (y > 0) for
// `vectors` groups of four floats: the comparison's all-ones lanes AND 1.0 give the gate.
function reluGradientFunction(): FunctionBuilder {
  const f = new FunctionBuilder('reluGradient', ['i32', 'i32', 'i32', 'i32']);
  const [dy, y, out, vectors] = f.params as Local[];
  const one = f.local('v128');
  f.f32Const(1).f32x4Splat().localSet(one);
  f.block().loop();
  f.localGet(vectors!).i32Eqz().brIf(1);
  f.localGet(out!).localGet(dy!).v128Load();
  f.localGet(y!).v128Load().v128Zero().f32x4Gt().localGet(one).v128And();
  f.f32x4Mul().v128Store();
  for (const p of [dy!, y!, out!]) f.localGet(p).i32Const(16).i32Add().localSet(p);
  f.localGet(vectors!).i32Const(1).i32Sub().localSet(vectors!);
  f.br(0).end().end();
  return f;
}

export function biasActivationFunctions(): FunctionBuilder[] {
  return [biasActivationFunction('identity'), biasActivationFunction('relu'), reluGradientFunction()];
}

/** Finds the inputs, runs `call(addresses, out)`, returns the result shaped `shape`. */
function run(inputs: Tensor[], shape: Shape, call: (exports: WasmRuntime['exports'], addresses: number[], out: number) => void): Tensor | null {
  const rt = wasmKernels();
  if (!rt) return null;
  rt.reset();
  const addresses = inputs.map((t) => operandAddress(rt, t));
  const out = addresses.some((a) => a < 0) ? null : kernelOutput(rt, shape);
  if (!out) return null;
  call(rt.exports, addresses, out.address);
  return out.finish();
}

export function biasActivationWasm(x: Tensor, bias: Tensor, activation: FusedActivation): Tensor | null {
  const C = bias.size;
  const width = C % 4 === 0 ? C : C % 2 === 0 ? 2 * C : 4 * C; // lcm(C, 4)
  if (C === 0 || x.size < MIN_SIZE || x.size % width !== 0) return null;
  const rt = wasmKernels();
  if (!rt) return null;
  rt.reset();
  const px = operandAddress(rt, x);
  const pb = width === C ? operandAddress(rt, bias) : rt.alloc(4 * width);
  if (width !== C && pb >= 0) {
    const row = rt.f32();
    const b = cpuData(bias) as Float32Array;
    for (let i = 0; i < width; i += C) row.set(b.subarray(0, C), pb / 4 + i);
  }
  const out = px < 0 || pb < 0 ? null : kernelOutput(rt, x.shape);
  if (!out) return null;
  rt.exports[`biasActivation_${activation}`]!(px, pb, out.address, x.size / width, width / 4);
  return out.finish();
}

export function reluGradientWasm(dy: Tensor, y: Tensor): Tensor | null {
  if (dy.size < MIN_SIZE) return null;
  return run([dy, y], dy.shape, (exports, [pd, py], po) => exports.reluGradient!(pd!, py!, po, Math.ceil(dy.size / 4)));
}
