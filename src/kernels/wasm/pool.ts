// Max pooling and its gradient (../pool.ts) in WebAssembly, through the tap table of
// conv.ts (for each output pixel and window tap, the input pixel it reads, or -1 in the
// padding), copied into scratch. f32.max is IEEE maximum with NaN propagation and
// −0 < +0, as Math.max, and a window with no in-bounds tap stays −Inf, so the forward
// values are the reference's exactly; the gradient picks the same tap (the first maximum,
// or the first NaN) and adds dy to it in f32, as the reference's rounded sum.

import { cpu } from '../../device/cpu.js';
import { FunctionBuilder, type Local, forRange } from '../../device/wasm/module-builder.js';
import { Tensor } from '../../tensor.js';
import type { Conv2DInfo } from '../conv.js';
import { tapTable } from './conv.js';
import { wasmKernels } from './module.js';
import { kernelOutput, operandAddress } from './operands.js';

/** Output elements below which the reference loop is as fast. */
const MIN_SIZE = 1024;

/** Emits `input = table[pixel·taps + t]` (a byte address). */
function tapInput(f: FunctionBuilder, table: Local, pixel: Local, taps: Local, t: Local, input: Local): void {
  f.localGet(table).localGet(pixel).localGet(taps).i32Mul().localGet(t).i32Add().i32Const(4).i32Mul().i32Add().i32Load().localSet(input);
}

// One invocation of `maxPool(x, table, out, pixels, taps, C)` computes out[p, c] = max over
// the in-bounds taps of x[input(p, t) + c] for every output pixel p: four channels per
// vector, then the C mod 4 left one at a time.
function maxPoolFunction(): FunctionBuilder {
  const f = new FunctionBuilder('maxPool', new Array(6).fill('i32'));
  const [x, table, out, pixels, taps, C] = f.params as [Local, Local, Local, Local, Local, Local];
  const [p, t, c, vectors, input] = Array.from({ length: 5 }, () => f.local('i32'));
  const acc = f.local('v128');
  const one = f.local('f32');
  f.localGet(C).i32Const(4).i32DivU().localSet(vectors!);
  forRange(f, p!, 0, pixels, () => {
    // vectors: c counts groups of 4 channels
    forRange(f, c!, 0, vectors!, () => {
      f.f32Const(-Infinity).f32x4Splat().localSet(acc);
      forRange(f, t!, 0, taps, () => {
        tapInput(f, table, p!, taps, t!, input!);
        f.localGet(input!).i32Const(0).i32GeS().if();
        f.localGet(acc).localGet(x).localGet(input!).localGet(c!).i32Const(4).i32Mul().i32Add().i32Const(4).i32Mul().i32Add().v128Load().f32x4Max().localSet(acc);
        f.end();
      });
      f.localGet(out).localGet(p!).localGet(C).i32Mul().localGet(c!).i32Const(4).i32Mul().i32Add().i32Const(4).i32Mul().i32Add().localGet(acc).v128Store();
    });
    // the channels left: c from 4·vectors to C
    f.localGet(vectors!).i32Const(4).i32Mul().localSet(c!);
    f.block().loop();
    f.localGet(c!).localGet(C).i32GeU().brIf(1);
    f.f32Const(-Infinity).localSet(one);
    forRange(f, t!, 0, taps, () => {
      tapInput(f, table, p!, taps, t!, input!);
      f.localGet(input!).i32Const(0).i32GeS().if();
      f.localGet(one).localGet(x).localGet(input!).localGet(c!).i32Add().i32Const(4).i32Mul().i32Add().f32Load().f32Max().localSet(one);
      f.end();
    });
    f.localGet(out).localGet(p!).localGet(C).i32Mul().localGet(c!).i32Add().i32Const(4).i32Mul().i32Add().localGet(one).f32Store();
    f.localGet(c!).i32Const(1).i32Add().localSet(c!);
    f.br(0).end().end();
  });
  return f;
}

// One invocation of `maxPoolBackward(x, dy, table, dx, pixels, taps, C)` adds, for every
// output pixel p and channel c, dy[p, c] to dx at the window's first maximum: a tap is
// taken when none is yet, or when the best so far is not NaN and the tap is NaN or greater.
function maxPoolBackwardFunction(): FunctionBuilder {
  const f = new FunctionBuilder('maxPoolBackward', new Array(7).fill('i32'));
  const [x, dy, table, dx, pixels, taps, C] = f.params as [Local, Local, Local, Local, Local, Local, Local];
  const [p, t, c, input, at] = Array.from({ length: 5 }, () => f.local('i32'));
  const [best, v] = [f.local('f32'), f.local('f32')];
  forRange(f, p!, 0, pixels, () => {
    forRange(f, c!, 0, C, () => {
      f.f32Const(-Infinity).localSet(best);
      f.i32Const(-1).localSet(at!);
      forRange(f, t!, 0, taps, () => {
        tapInput(f, table, p!, taps, t!, input!);
        f.localGet(input!).i32Const(0).i32GeS().if();
        f.localGet(x).localGet(input!).localGet(c!).i32Add().i32Const(4).i32Mul().i32Add().f32Load().localSet(v);
        // at = -1 || (best == best && (v != v || v > best))
        f.localGet(at!).i32Const(-1).i32Eq();
        f.localGet(best).localGet(best).f32Eq();
        f.localGet(v).localGet(v).f32Ne().localGet(v).localGet(best).f32Gt().i32Or();
        f.i32And().i32Or().if();
        f.localGet(v).localSet(best);
        f.localGet(input!).localGet(c!).i32Add().localSet(at!);
        f.end();
        f.end();
      });
      f.localGet(at!).i32Const(0).i32GeS().if();
      // dx[at] += dy[p·C + c]
      f.localGet(dx).localGet(at!).i32Const(4).i32Mul().i32Add();
      f.localGet(dx).localGet(at!).i32Const(4).i32Mul().i32Add().f32Load();
      f.localGet(dy).localGet(p!).localGet(C).i32Mul().localGet(c!).i32Add().i32Const(4).i32Mul().i32Add().f32Load();
      f.f32Add().f32Store();
      f.end();
    });
  });
  return f;
}

export function poolFunctions(): FunctionBuilder[] {
  return [maxPoolFunction(), maxPoolBackwardFunction()];
}

/** The tap table of `g` in scratch, or -1. */
function tableInScratch(rt: NonNullable<ReturnType<typeof wasmKernels>>, g: Conv2DInfo): number {
  const table = tapTable(g);
  const at = rt.alloc(table.byteLength);
  if (at >= 0) new Int32Array(rt.heap.memory.buffer, at, table.length).set(table);
  return at;
}

export function maxPoolWasm(x: Tensor, g: Conv2DInfo): Tensor | null {
  const pixels = g.batch * g.outH * g.outW;
  if (pixels * g.inC < MIN_SIZE) return null;
  const rt = wasmKernels();
  if (!rt) return null;
  rt.reset();
  const px = operandAddress(rt, x);
  const table = tableInScratch(rt, g);
  const out = px < 0 || table < 0 ? null : kernelOutput(rt, [g.batch, g.outH, g.outW, g.inC]);
  if (!out) return null;
  rt.exports.maxPool!(px, table, out.address, pixels, g.kH * g.kW, g.inC);
  return out.finish();
}

export function maxPoolBackwardWasm(dy: Tensor, x: Tensor, g: Conv2DInfo): Tensor | null {
  const pixels = g.batch * g.outH * g.outW;
  if (pixels * g.inC < MIN_SIZE) return null;
  const rt = wasmKernels();
  if (!rt) return null;
  rt.reset();
  const px = operandAddress(rt, x);
  const pdy = operandAddress(rt, dy);
  const table = tableInScratch(rt, g);
  if (px < 0 || pdy < 0 || table < 0) return null;
  // dx accumulates: zeroed, in the heap when it has room, else in zeroed scratch copied out
  const dx = cpu.allocate('float32', x.size);
  const inPlace = rt.tensorsInMemory && dx.address >= 0;
  const pdx = inPlace ? dx.address : rt.alloc(4 * x.size);
  if (pdx < 0) {
    cpu.release(dx);
    return null;
  }
  if (!inPlace) rt.f32().fill(0, pdx / 4, pdx / 4 + x.size);
  rt.exports.maxPoolBackward!(px, pdy, table, pdx, pixels, g.kH * g.kW, g.inC);
  if (!inPlace) dx.data.set(rt.f32().subarray(pdx / 4, pdx / 4 + x.size));
  return new Tensor([...x.shape], 'float32', cpu, dx);
}
