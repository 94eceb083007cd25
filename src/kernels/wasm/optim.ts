// The fused optimizer updates of ../optim.ts (SGD and Adam) in WebAssembly SIMD, for
// parameters that lie in the heap: one pass reading each parameter, its gradient and its
// state where they lie and updating them in place. The reference loops compute in float64
// and round each stored value to float32; these do the same two elements at a time (a pair
// of f32 promoted to f64x2, every operation of the reference in its order, demoted to f32
// on store), so the values are the reference's exactly. A parameter with an odd size reads
// and writes one float past its end: inside its heap block, whose size is a multiple of 16.

import { FunctionBuilder, type Local } from '../../device/wasm/module-builder.js';
import type { Tensor } from '../../tensor.js';
import { type AdamUpdateHyperparameters, type SGDUpdateHyperparameters, biasCorrections } from '../optim.js';
import { wasmKernels } from './module.js';
import { inPlaceAddress, operandAddress } from './operands.js';

/** Elements below which the reference loop is as fast. */
const MIN_SIZE = 1024;

type SGDVariant = 'plain' | 'momentum' | 'nesterov';

/** Emits `v = promote(load two f32 at pointer)`. */
function loadPair(f: FunctionBuilder, pointer: Local, v: Local): void {
  f.localGet(pointer).v128Load64Zero().f64x2PromoteLowF32x4().localSet(v);
}

/** Emits `store demote(v) at pointer; v = promote(demote(v))` (v becomes the stored value). */
function storePair(f: FunctionBuilder, pointer: Local, v: Local): void {
  f.localGet(v).f32x4DemoteF64x2Zero().localSet(v);
  f.localGet(pointer).localGet(v).v128Store64Lane0();
  f.localGet(v).f64x2PromoteLowF32x4().localSet(v);
}

/** Emits the loop `pairs` times: body(), then every pointer += 8 bytes. */
function pairLoop(f: FunctionBuilder, pairs: Local, pointers: Local[], body: () => void): void {
  f.block().loop();
  f.localGet(pairs).i32Eqz().brIf(1);
  body();
  for (const p of pointers) f.localGet(p).i32Const(8).i32Add().localSet(p);
  f.localGet(pairs).i32Const(1).i32Sub().localSet(pairs);
  f.br(0).end().end();
}

/** Emits `local = splat(f64 param)` for each pair. */
function splats(f: FunctionBuilder, pairs: [Local, Local][]): void {
  for (const [param, splat] of pairs) f.localGet(param).f64x2Splat().localSet(splat);
}

// One invocation of `sgd_<variant>(p, g, b, pairs, lr, momentum, weightDecay)` updates
// 2·pairs elements: g' = g + λp; with momentum b = μb + g' and step = nesterov ? g' + μb : b,
// else step = g'; p = p − η·step.
function sgdFunction(variant: SGDVariant): FunctionBuilder {
  const f = new FunctionBuilder(`sgd_${variant}`, ['i32', 'i32', 'i32', 'i32', 'f64', 'f64', 'f64']);
  const [p, g, b, pairs, lr, momentum, weightDecay] = f.params as [Local, Local, Local, Local, Local, Local, Local];
  const [LR, MU, WD, P, G, B] = Array.from({ length: 6 }, () => f.local('v128'));
  splats(f, [
    [lr, LR!],
    [momentum, MU!],
    [weightDecay, WD!],
  ]);
  pairLoop(f, pairs, variant === 'plain' ? [p, g] : [p, g, b], () => {
    loadPair(f, p, P!);
    loadPair(f, g, G!);
    f.localGet(G!).localGet(WD!).localGet(P!).f64x2Mul().f64x2Add().localSet(G!); // g' = g + λp
    if (variant !== 'plain') {
      loadPair(f, b, B!);
      f.localGet(MU!).localGet(B!).f64x2Mul().localGet(G!).f64x2Add().localSet(B!); // b = μb + g'
      storePair(f, b, B!);
      if (variant === 'nesterov') f.localGet(G!).localGet(MU!).localGet(B!).f64x2Mul().f64x2Add().localSet(G!); // step = g' + μb
      else f.localGet(B!).localSet(G!); // step = b
    }
    f.localGet(P!).localGet(LR!).localGet(G!).f64x2Mul().f64x2Sub().localSet(P!); // p − η·step
    storePair(f, p, P!);
  });
  return f;
}

// One invocation of `adam_<decay>(p, g, m, v, pairs, lr, weightDecay, lrTimesDecay, β₁, β₂,
// 1−β₁, 1−β₂, ε, c₁, c₂)` updates 2·pairs elements: decoupled p' = p − (ηλ)p, else
// g' = g + λp; m = β₁m + (1−β₁)g'; v = β₂v + (1−β₂)g'·g'; p = p' − η·(m / c₁ / (√(v / c₂) + ε)).
function adamFunction(decay: 'l2' | 'decoupled'): FunctionBuilder {
  const f = new FunctionBuilder(`adam_${decay}`, ['i32', 'i32', 'i32', 'i32', 'i32', ...new Array<'f64'>(10).fill('f64')]);
  const [p, g, m, v, pairs, ...scalars] = f.params as Local[];
  const [LR, WD, LRWD, B1, B2, OMB1, OMB2, EPS, C1, C2] = scalars.map(() => f.local('v128'));
  const [P, G, M, V] = Array.from({ length: 4 }, () => f.local('v128'));
  splats(
    f,
    scalars.map((s, i) => [s, [LR, WD, LRWD, B1, B2, OMB1, OMB2, EPS, C1, C2][i]!] as [Local, Local]),
  );
  pairLoop(f, pairs!, [p!, g!, m!, v!], () => {
    loadPair(f, p!, P!);
    loadPair(f, g!, G!);
    if (decay === 'decoupled') f.localGet(P!).localGet(LRWD!).localGet(P!).f64x2Mul().f64x2Sub().localSet(P!); // p − (ηλ)p
    else f.localGet(G!).localGet(WD!).localGet(P!).f64x2Mul().f64x2Add().localSet(G!); // g + λp
    loadPair(f, m!, M!);
    f.localGet(B1!).localGet(M!).f64x2Mul().localGet(OMB1!).localGet(G!).f64x2Mul().f64x2Add().localSet(M!); // β₁m + (1−β₁)g
    storePair(f, m!, M!);
    loadPair(f, v!, V!);
    f.localGet(B2!).localGet(V!).f64x2Mul().localGet(OMB2!).localGet(G!).f64x2Mul().localGet(G!).f64x2Mul().f64x2Add().localSet(V!); // β₂v + (1−β₂)g·g
    storePair(f, v!, V!);
    // p − η·(m / c₁ / (√(v / c₂) + ε))
    f.localGet(P!).localGet(LR!);
    f.localGet(M!).localGet(C1!).f64x2Div();
    f.localGet(V!).localGet(C2!).f64x2Div().f64x2Sqrt().localGet(EPS!).f64x2Add();
    f.f64x2Div().f64x2Mul().f64x2Sub().localSet(P!);
    storePair(f, p!, P!);
  });
  return f;
}

export function optimizerFunctions(): FunctionBuilder[] {
  return [sgdFunction('plain'), sgdFunction('momentum'), sgdFunction('nesterov'), adamFunction('l2'), adamFunction('decoupled')];
}

export function sgdUpdateWasm(param: Tensor, grad: Tensor, velocity: Tensor | null, h: SGDUpdateHyperparameters): Tensor | null {
  const rt = param.size >= MIN_SIZE ? wasmKernels() : null;
  if (!rt) return null;
  const pp = inPlaceAddress(rt, param);
  const pb = velocity ? inPlaceAddress(rt, velocity) : 0;
  if (pp < 0 || pb < 0) return null;
  rt.reset();
  const pg = operandAddress(rt, grad);
  if (pg < 0) return null;
  const variant: SGDVariant = !velocity ? 'plain' : h.nesterov ? 'nesterov' : 'momentum';
  rt.exports[`sgd_${variant}`]!(pp, pg, pb, Math.ceil(param.size / 2), h.learningRate, h.momentum, h.weightDecay);
  return param;
}

export function adamUpdateWasm(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamUpdateHyperparameters): Tensor | null {
  const rt = param.size >= MIN_SIZE ? wasmKernels() : null;
  if (!rt) return null;
  const [pp, pm, pv] = [param, m, v].map((t) => inPlaceAddress(rt, t)) as [number, number, number];
  if (pp < 0 || pm < 0 || pv < 0) return null;
  rt.reset();
  const pg = operandAddress(rt, grad);
  if (pg < 0) return null;
  const { learningRate: lr, weightDecay: wd, beta1, beta2, epsilon } = h;
  const [c1, c2] = biasCorrections(h);
  rt.exports[`adam_${h.decoupled ? 'decoupled' : 'l2'}`]!(pp, pg, pm, pv, Math.ceil(param.size / 2), lr, wd, lr * wd, beta1, beta2, 1 - beta1, 1 - beta2, epsilon, c1, c2);
  return param;
}
