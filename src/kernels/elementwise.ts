// Elementwise kernels: unary maps, binary maps with NumPy broadcasting, where, cast.
// Each op is one row of a table holding its CPU formula and its WGSL expression, so
// both implementations of `exp` are read on the same line.
//
// On WebGPU, unary and binary maps over a size divisible by 4 (without broadcasting
// beyond a scalar operand) run vectorized: each invocation moves VECTORS_PER_INVOCATION
// vec4s (wgsl.ts says why), applying the op's scalar expression to each component. Other
// sizes and general broadcasting take one element per invocation.

import { type DType, typedArrayFor } from '../dtype.js';
import { dims, f32, i32, u32 } from '../device/uniforms.js';
import type { Shape, Tensor } from '../tensor.js';
import { sizeOf } from '../tensor.js';
import { type Kernel, broadcastStrides, cpuData, cpuTensor } from './kernel.js';
import { binaryWasm } from './wasm/elementwise.js';
import {
  ELEMENTWISE_MAIN,
  WGSL_DIMS,
  elementWorkgroups,
  gpuDevice,
  gpuOutput,
  isVectorizable,
  vectorizedMain,
  vectorizedWorkgroups,
  wgslType,
} from './wgsl.js';
import { WGSL_FLOAT_TO_INT, WGSL_IEEE, WGSL_POW, WGSL_POW_INT, WGSL_ROOTS_AND_LOG, floatToInt32, powFloat, powInt32 } from './ieee.js';

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below float32 resolution near 1),
// and for |x| < 1/4 by its Taylor series to x⁹ (relative error < 1e-9, where the former's
// absolute error would swamp erf(x) ≈ 2x/√π), written identically for the CPU and in WGSL,
// which has no erf builtin.
function erf(x: number): number {
  if (Math.abs(x) < 0.25) {
    const x2 = x * x;
    return x * (1.1283791670955126 + x2 * (-0.3761263890318375 + x2 * (0.11283791670955126 + x2 * (-0.026866170645131252 + x2 * 0.005223977625442188))));
  }
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-x * x));
}

export type UnaryOp = 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'square' | 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'softplus' | 'erf' | 'gelu' | 'sin' | 'cos';

/** Each unary op: the CPU formula of one element and the WGSL expression of `x`
 * (`alpha` is the op's one scalar parameter, e.g. leakyRelu's slope); `cpuInt` and
 * `wgslInt` where int32 needs its own form. A float NaN input gives NaN: the CPU formulas
 * do so by IEEE arithmetic (NaN compares false, so `x <= 0 ? 0 : x` keeps it), the WGSL
 * kernel returns x before the expression when x is NaN by its bits. */
export const UNARY_OPS: Record<UnaryOp, { cpu: (x: number, alpha: number) => number; wgsl: string; cpuInt?: (x: number) => number; wgslInt?: string }> = {
  neg: { cpu: (x: number) => -x, wgsl: '-x' },
  abs: { cpu: Math.abs, wgsl: 'abs(x)' },
  // sign(±0) = +0 (as PyTorch and NumPy), sign(NaN) = NaN (as NumPy). In WGSL, PyTorch's
  // own formula [x > 0] − [x < 0]: WGSL may ignore the sign of a zero, and lavapipe turns
  // a nested select(0.0, -1.0, …) into −0.
  sign: { cpu: (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x), wgsl: 'f32(x > 0.0) - f32(x < 0.0)', wgslInt: 'sign(x)' },
  exp: { cpu: Math.exp, wgsl: 'exp(x)' },
  log: { cpu: Math.log, wgsl: 'logFloat(x)' },
  sqrt: { cpu: Math.sqrt, wgsl: 'sqrtFloat(x)' },
  rsqrt: { cpu: (x: number) => 1 / Math.sqrt(x), wgsl: 'rsqrtFloat(x)' },
  // int32 products wrap modulo 2³² on both devices (x·x in float64 would round first)
  square: { cpu: (x: number) => x * x, wgsl: 'x * x', cpuInt: (x: number) => Math.imul(x, x) },
  // relu(-0) = +0
  relu: { cpu: (x: number) => (x <= 0 ? 0 : x), wgsl: 'select(x, 0.0, x <= 0.0)', wgslInt: 'max(x, 0)' },
  leakyRelu: { cpu: (x: number, alpha: number) => (x > 0 ? x : alpha * x), wgsl: 'select(alpha * x, x, x > 0.0)' },
  sigmoid: { cpu: (x: number) => 1 / (1 + Math.exp(-x)), wgsl: '1.0 / (1.0 + exp(-x))' },
  // the builtin overflows past ±15 (where tanh is ±1 in float32) and loses all relative
  // precision below 2⁻¹² (where tanh(x) = x in float32)
  tanh: { cpu: Math.tanh, wgsl: 'select(tanh(clamp(x, -15.0, 15.0)), x, abs(x) < 0.000244140625)' },
  // softplus(x) = log(1 + e^x), computed as max(x,0) + log1p(e^-|x|) so it never overflows.
  softplus: { cpu: (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), wgsl: 'max(x, 0.0) + log1pUnit(exp(-abs(x)))' },
  erf: { cpu: erf, wgsl: 'erf(x)' },
  // gelu(x) = x Φ(x), the exact (erf-based) form.
  gelu: { cpu: (x: number) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)), wgsl: '0.5 * x * (1.0 + erf(x * 0.7071067811865476))' },
  // sin(±Inf) = NaN; WGSL's sin and cos are only accurate on [-π, π] (the README says so)
  sin: { cpu: Math.sin, wgsl: 'select(sin(x), nanValue(), isInf(x))' },
  cos: { cpu: Math.cos, wgsl: 'select(cos(x), nanValue(), isInf(x))' },
};

/** The WGSL erf used by the `erf` and `gelu` expressions (same formula as the CPU's). */
export const WGSL_ERF = /* wgsl */ `
fn erf(x: f32) -> f32 {
  if (abs(x) < 0.25) {
    let x2 = x * x;
    return x * (1.1283791670955126 + x2 * (-0.3761263890318375 + x2 * (0.11283791670955126 + x2 * (-0.026866170645131252 + x2 * 0.005223977625442188))));
  }
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(x) * (1.0 - poly * exp(-x * x));
}`;

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'equal' | 'notEqual' | 'greater' | 'greaterEqual' | 'less' | 'lessEqual';

/** A comparison: IEEE on both devices, so any comparison with NaN is false except `!=`. */
const compare = (cpu: (a: number, b: number) => boolean, operator: string) => ({
  cpu: (a: number, b: number) => Number(cpu(a, b)),
  wgsl: operator === '!=' ? 'select(0.0, 1.0, isNan(a) || isNan(b) || a != b)' : `select(0.0, 1.0, !isNan(a) && !isNan(b) && a ${operator} b)`,
  wgslInt: `select(0.0, 1.0, a ${operator} b)`,
});

/** Each binary op: CPU formula and WGSL expression of `a` and `b`, with int32 forms where
 * they differ. Comparisons give 0/1. int32 sums and products wrap modulo 2³² on both devices. */
export const BINARY_OPS: Record<BinaryOp, { cpu: (a: number, b: number) => number; wgsl: string; cpuInt?: (a: number, b: number) => number; wgslInt?: string }> = {
  add: { cpu: (a: number, b: number) => a + b, wgsl: 'a + b' },
  sub: { cpu: (a: number, b: number) => a - b, wgsl: 'a - b' },
  mul: { cpu: (a: number, b: number) => a * b, wgsl: 'a * b', cpuInt: Math.imul },
  div: { cpu: (a: number, b: number) => a / b, wgsl: 'a / b' },
  pow: { cpu: powFloat, wgsl: 'powFloat(a, b)', cpuInt: powInt32, wgslInt: 'powInt(a, b)' },
  // NaN if either is NaN
  maximum: { cpu: Math.max, wgsl: 'maxNan(a, b)', wgslInt: 'max(a, b)' },
  minimum: { cpu: Math.min, wgsl: 'minNan(a, b)', wgslInt: 'min(a, b)' },
  equal: compare((a, b) => a === b, '=='),
  notEqual: compare((a, b) => a !== b, '!='),
  greater: compare((a, b) => a > b, '>'),
  greaterEqual: compare((a, b) => a >= b, '>='),
  less: compare((a, b) => a < b, '<'),
  lessEqual: compare((a, b) => a <= b, '<='),
};

export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual']);

// Scalar variant: one invocation computes one element, ys[index] = op(xs[index]).
// Vectorized variant: one invocation computes VECTORS_PER_INVOCATION vec4s of elements, each
// component through the same scalar `op`.
function unaryWgsl(op: UnaryOp, dtype: DType, vectorized: boolean): string {
  const type = wgslType(dtype);
  const expr = (dtype === 'int32' && UNARY_OPS[op].wgslInt) || UNARY_OPS[op].wgsl;
  const nanFirst = dtype === 'float32' ? 'if (isNan(x)) { return x; } ' : '';
  const element = vectorized ? `vec4<${type}>` : type;
  return /* wgsl */ `
${WGSL_IEEE}
${/logFloat|sqrtFloat|rsqrtFloat|log1pUnit/.test(expr) ? WGSL_ROOTS_AND_LOG : ''}
${expr.includes('erf(') ? WGSL_ERF : ''}
struct Uniforms { size: u32, alpha: f32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<${element}>;
@group(0) @binding(2) var<storage, read_write> ys: array<${element}>;
fn op(x: ${type}, alpha: f32) -> ${type} { ${nanFirst}return ${expr}; }
${
  vectorized
    ? vectorizedMain(`let x = xs[index];
    ys[index] = vec4(op(x.x, u.alpha), op(x.y, u.alpha), op(x.z, u.alpha), op(x.w, u.alpha));`)
    : `${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  ys[index] = op(xs[index], u.alpha);
}`
}`;
}

/** out[i] = op(x[i]). */
export const unaryKernel: Kernel<(op: UnaryOp, x: Tensor, alpha: number) => Tensor> = {
  name: 'unary',
  cpu(op, x, alpha) {
    const f = (x.dtype === 'int32' && UNARY_OPS[op].cpuInt) || UNARY_OPS[op].cpu;
    const input = cpuData(x);
    const out = typedArrayFor(x.dtype, input.length);
    for (let i = 0; i < input.length; i++) out[i] = f(input[i]!, alpha);
    return cpuTensor(out, x.shape);
  },
  webgpu(op, x, alpha) {
    const device = gpuDevice(x);
    const y = gpuOutput(device, x.shape, x.dtype);
    const vectorized = isVectorizable(x.size);
    device.dispatch({
      key: `unary/${op}/${wgslType(x.dtype)}${vectorized ? '/vec4' : ''}`,
      wgsl: () => unaryWgsl(op, x.dtype, vectorized),
      inputs: [x.storage],
      outputs: [y.storage],
      uniforms: [u32(vectorized ? x.size / 4 : x.size), f32(alpha)],
      workgroups: vectorized ? vectorizedWorkgroups(x.size) : elementWorkgroups(x.size),
    });
    return y;
  },
};

/** How a binary kernel reads its inputs: both like the output, one of them a single
 * element, or the general case through broadcast strides. */
type BinaryLayout = 'same' | 'scalarA' | 'scalarB' | 'broadcast';

// Scalar variant: one invocation computes one output element, ys[index] = op(a, b), with
// a and b read at index's broadcast offsets (the layout variants skip that index math when
// it is trivial). Vectorized variant ('same', 'scalarA', 'scalarB' over a size divisible by
// 4): one invocation computes VECTORS_PER_INVOCATION vec4s, a scalar operand splatted.
function binaryWgsl(op: BinaryOp, inDtype: DType, outDtype: DType, layout: BinaryLayout, vectorized: boolean): string {
  const type = wgslType(inDtype);
  const outType = wgslType(outDtype);
  const expr = (inDtype === 'int32' && BINARY_OPS[op].wgslInt) || BINARY_OPS[op].wgsl;
  const header = (uniforms: string, aElement: string, bElement: string, outElement: string) => /* wgsl */ `
${WGSL_IEEE}
${op === 'pow' ? (inDtype === 'int32' ? WGSL_POW_INT : WGSL_POW) : ''}
struct Uniforms { ${uniforms} }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> aData: array<${aElement}>;
@group(0) @binding(2) var<storage, read> bData: array<${bElement}>;
@group(0) @binding(3) var<storage, read_write> ys: array<${outElement}>;
fn op(a: ${type}, b: ${type}) -> ${outType} { return ${expr}; }`;
  if (vectorized) {
    const vec = `vec4<${type}>`;
    const [aRead, bRead] = {
      same: ['aData[index]', 'bData[index]'],
      scalarA: [`${vec}(aData[0])`, 'bData[index]'],
      scalarB: ['aData[index]', `${vec}(bData[0])`],
      broadcast: ['', ''], // never vectorized
    }[layout];
    return /* wgsl */ `${header('size: u32', layout === 'scalarA' ? type : vec, layout === 'scalarB' ? type : vec, `vec4<${outType}>`)}
${vectorizedMain(`let a = ${aRead};
    let b = ${bRead};
    ys[index] = vec4(op(a.x, b.x), op(a.y, b.y), op(a.z, b.z), op(a.w, b.w));`)}`;
  }
  const read = {
    same: ['aData[index]', 'bData[index]'],
    scalarA: ['aData[0]', 'bData[index]'],
    scalarB: ['aData[index]', 'bData[0]'],
    broadcast: ['aData[stridedOffset(index, u.rank, u.shape, u.aStrides)]', 'bData[stridedOffset(index, u.rank, u.shape, u.bStrides)]'],
  }[layout];
  return /* wgsl */ `
${WGSL_DIMS}
${header('size: u32, rank: u32, shape: Dims, aStrides: Dims, bStrides: Dims', type, type, outType)}
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  ys[index] = op(${read[0]}, ${read[1]});
}`;
}

/** out[i] = op(a[broadcast i], b[broadcast i]), for a and b of one dtype. */
export const binaryKernel: Kernel<(op: BinaryOp, a: Tensor, b: Tensor, outShape: Shape, outDtype: DType) => Tensor> = {
  name: 'binary',
  webgpu(op, a, b, outShape, outDtype) {
    const device = gpuDevice(a);
    const size = sizeOf(outShape);
    const layout: BinaryLayout =
      a.size === size && b.size === size ? 'same' : a.size === 1 && b.size === size ? 'scalarA' : b.size === 1 && a.size === size ? 'scalarB' : 'broadcast';
    const vectorized = layout !== 'broadcast' && isVectorizable(size);
    const y = gpuOutput(device, outShape, outDtype);
    device.dispatch({
      key: `binary/${op}/${wgslType(a.dtype)}/${layout}${vectorized ? '/vec4' : ''}`,
      wgsl: () => binaryWgsl(op, a.dtype, outDtype, layout, vectorized),
      inputs: [a.storage, b.storage],
      outputs: [y.storage],
      uniforms: vectorized
        ? [u32(size / 4)]
        : [u32(size), u32(outShape.length), dims(outShape), dims(broadcastStrides(a.shape, outShape)), dims(broadcastStrides(b.shape, outShape))],
      workgroups: vectorized ? vectorizedWorkgroups(size) : elementWorkgroups(size),
    });
    return y;
  },
  wasm: binaryWasm,
  cpu(op, a, b, outShape, outDtype) {
    const x = cpuData(a);
    const y = cpuData(b);
    const out = typedArrayFor(outDtype, sizeOf(outShape));
    const g = (a.dtype === 'int32' && BINARY_OPS[op].cpuInt) || BINARY_OPS[op].cpu;
    if (a.size === out.length && b.size === out.length) {
      for (let i = 0; i < out.length; i++) out[i] = g(x[i]!, y[i]!);
    } else if (b.size === 1 && a.size === out.length) {
      const s = y[0]!;
      for (let i = 0; i < out.length; i++) out[i] = g(x[i]!, s);
    } else {
      forEachRow(outShape, [a.shape, b.shape], (start, length, [ia, ib], [sa, sb]) => {
        for (let j = 0; j < length; j++) out[start + j] = g(x[ia! + j * sa!]!, y[ib! + j * sb!]!);
      });
    }
    return cpuTensor(out, outShape);
  },
};

// One invocation computes one output element, ys[index] = op(xs[index], u.value) (or
// op(u.value, xs[index]) when the number comes first); vectorized, VECTORS_PER_INVOCATION
// vec4s with the number splatted. The number travels in the uniforms, so `mul(x, 2)`
// uploads no buffer of its own.
function binaryNumberWgsl(op: BinaryOp, dtype: DType, outDtype: DType, numberFirst: boolean, vectorized: boolean): string {
  const type = wgslType(dtype);
  const outType = wgslType(outDtype);
  const expr = (dtype === 'int32' && BINARY_OPS[op].wgslInt) || BINARY_OPS[op].wgsl;
  const [a, b] = numberFirst ? ['v', 'x'] : ['x', 'v'];
  const body = vectorized
    ? `let x = xs[index];
    let v = vec4<${type}>(u.value);
    ys[index] = vec4(op(${a}.x, ${b}.x), op(${a}.y, ${b}.y), op(${a}.z, ${b}.z), op(${a}.w, ${b}.w));`
    : `let x = xs[index];
  let v = u.value;
  ys[index] = op(${a}, ${b});`;
  return /* wgsl */ `
${WGSL_IEEE}
${op === 'pow' ? (dtype === 'int32' ? WGSL_POW_INT : WGSL_POW) : ''}
struct Uniforms { size: u32, value: ${type} }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<${vectorized ? `vec4<${type}>` : type}>;
@group(0) @binding(2) var<storage, read_write> ys: array<${vectorized ? `vec4<${outType}>` : outType}>;
fn op(a: ${type}, b: ${type}) -> ${outType} { return ${expr}; }
${
  vectorized
    ? vectorizedMain(body)
    : `${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  ${body}
}`
}`;
}

/** out[i] = op(x[i], value), or op(value, x[i]) when `numberFirst`: a binary op with a
 * number operand, already of x's dtype (an int32 x meets only integers here). */
export const binaryNumberKernel: Kernel<(op: BinaryOp, x: Tensor, value: number, numberFirst: boolean, outDtype: DType) => Tensor> = {
  name: 'binary',
  webgpu(op, x, value, numberFirst, outDtype) {
    const device = gpuDevice(x);
    const vectorized = isVectorizable(x.size);
    const y = gpuOutput(device, x.shape, outDtype);
    device.dispatch({
      key: `binary/${op}/${wgslType(x.dtype)}/number${numberFirst ? 'A' : 'B'}${vectorized ? '/vec4' : ''}`,
      wgsl: () => binaryNumberWgsl(op, x.dtype, outDtype, numberFirst, vectorized),
      inputs: [x.storage],
      outputs: [y.storage],
      uniforms: [u32(vectorized ? x.size / 4 : x.size), x.dtype === 'int32' ? i32(value) : f32(value)],
      workgroups: vectorized ? vectorizedWorkgroups(x.size) : elementWorkgroups(x.size),
    });
    return y;
  },
  wasm(op, x, value, numberFirst, outDtype) {
    if (x.dtype !== 'float32') return null;
    const number = cpuTensor(new Float32Array([value]), []);
    try {
      return binaryWasm(op, numberFirst ? number : x, numberFirst ? x : number, x.shape, outDtype);
    } finally {
      number.dispose();
    }
  },
  cpu(op, x, value, numberFirst, outDtype) {
    const input = cpuData(x);
    const out = typedArrayFor(outDtype, input.length);
    const g = (x.dtype === 'int32' && BINARY_OPS[op].cpuInt) || BINARY_OPS[op].cpu;
    const v = typedArrayFor(x.dtype, 1).fill(value)[0]!; // rounded to x's dtype, as a scalar tensor holds it
    if (numberFirst) for (let i = 0; i < input.length; i++) out[i] = g(v, input[i]!);
    else for (let i = 0; i < input.length; i++) out[i] = g(input[i]!, v);
    return cpuTensor(out, x.shape);
  },
};

// One invocation computes one output element: cond != 0 ? a : b, each read at index's
// broadcast offset. Values move as 32-bit words, so one variant serves float32 and int32.
// The condition is tested by its bits: a float is true unless it is ±0 (NaN is true).
function whereWgsl(condDtype: DType): string {
  return /* wgsl */ `
${WGSL_DIMS}
struct Uniforms { size: u32, rank: u32, shape: Dims, cStrides: Dims, aStrides: Dims, bStrides: Dims }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> cData: array<u32>;
@group(0) @binding(2) var<storage, read> aData: array<u32>;
@group(0) @binding(3) var<storage, read> bData: array<u32>;
@group(0) @binding(4) var<storage, read_write> ys: array<u32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  let c = cData[stridedOffset(index, u.rank, u.shape, u.cStrides)];
  let a = aData[stridedOffset(index, u.rank, u.shape, u.aStrides)];
  let b = bData[stridedOffset(index, u.rank, u.shape, u.bStrides)];
  ys[index] = select(b, a, (c & ${condDtype === 'int32' ? '0xffffffffu' : '0x7fffffffu'}) != 0u);
}`;
}

/** out[i] = cond[i] != 0 ? a[i] : b[i], all three broadcast to outShape. */
export const whereKernel: Kernel<(cond: Tensor, a: Tensor, b: Tensor, outShape: Shape) => Tensor> = {
  name: 'where',
  webgpu(cond, a, b, outShape) {
    const device = gpuDevice(a);
    const size = sizeOf(outShape);
    const y = gpuOutput(device, outShape, a.dtype);
    const strides = [cond, a, b].map((t) => dims(broadcastStrides(t.shape, outShape)));
    device.dispatch({
      key: `where/${wgslType(cond.dtype)}`,
      wgsl: () => whereWgsl(cond.dtype),
      inputs: [cond.storage, a.storage, b.storage],
      outputs: [y.storage],
      uniforms: [u32(size), u32(outShape.length), dims(outShape), ...strides],
      workgroups: elementWorkgroups(size),
    });
    return y;
  },
  cpu(cond, a, b, outShape) {
    const c = cpuData(cond);
    const x = cpuData(a);
    const y = cpuData(b);
    const out = typedArrayFor(a.dtype, sizeOf(outShape));
    forEachRow(outShape, [cond.shape, a.shape, b.shape], (start, length, [ic, ia, ib], [sc, sa, sb]) => {
      for (let j = 0; j < length; j++) out[start + j] = c[ic! + j * sc!] !== 0 ? x[ia! + j * sa!]! : y[ib! + j * sb!]!;
    });
    return cpuTensor(out, outShape);
  },
};

// One invocation converts one element; float → int32 by floatToInt (see ieee.ts).
function castWgsl(from: DType, to: DType): string {
  return /* wgsl */ `
${WGSL_IEEE}
${WGSL_FLOAT_TO_INT}
struct Uniforms { size: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<${wgslType(from)}>;
@group(0) @binding(2) var<storage, read_write> ys: array<${wgslType(to)}>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  ys[index] = ${from === 'float32' && to === 'int32' ? 'floatToInt' : wgslType(to)}(xs[index]);
}`;
}

/** out[i] = x[i] converted to dtype. float → int32 truncates toward zero, saturates at
 * the int32 limits and sends NaN to 0, on both devices. */
export const castKernel: Kernel<(x: Tensor, dtype: DType) => Tensor> = {
  name: 'cast',
  webgpu(x, dtype) {
    const device = gpuDevice(x);
    const y = gpuOutput(device, x.shape, dtype);
    device.dispatch({
      key: `cast/${wgslType(x.dtype)}/${wgslType(dtype)}`,
      wgsl: () => castWgsl(x.dtype, dtype),
      inputs: [x.storage],
      outputs: [y.storage],
      uniforms: [u32(x.size)],
      workgroups: elementWorkgroups(x.size),
    });
    return y;
  },
  cpu(x, dtype) {
    const input = cpuData(x);
    const out = typedArrayFor(dtype, x.size);
    if (x.dtype === 'float32' && dtype === 'int32') {
      for (let i = 0; i < input.length; i++) out[i] = floatToInt32(input[i]!);
    } else {
      out.set(input);
    }
    return cpuTensor(out, x.shape);
  },
};

/** Calls fn(start, length, offsets, steps) for every row (run along the last axis) of the
 * output: row elements start..start+length-1 read input k at offsets[k] + j·steps[k], the
 * broadcast strides of the last axis. An odometer walks the other axes. */
export function forEachRow(
  outShape: Shape,
  inputShapes: Shape[],
  fn: (start: number, length: number, offsets: readonly number[], steps: readonly number[]) => void,
): void {
  const rank = outShape.length;
  const size = sizeOf(outShape);
  if (size === 0) return;
  const strides = inputShapes.map((s) => broadcastStrides(s, outShape));
  const index = new Array<number>(rank).fill(0);
  const offsets = new Array<number>(inputShapes.length).fill(0);
  const last = rank === 0 ? 1 : outShape[rank - 1]!;
  const steps = strides.map((s) => (rank === 0 ? 0 : s[rank - 1]!));
  for (let i = 0; i < size; i += last) {
    fn(i, last, offsets, steps);
    for (let axis = rank - 2; axis >= 0; axis--) {
      index[axis]! += 1;
      for (let k = 0; k < offsets.length; k++) offsets[k]! += strides[k]![axis]!;
      if (index[axis]! < outShape[axis]!) break;
      for (let k = 0; k < offsets.length; k++) offsets[k]! -= strides[k]![axis]! * outShape[axis]!;
      index[axis] = 0;
    }
  }
}
