// Elementwise kernels: unary maps, binary maps with NumPy broadcasting, where, cast.
// Each op is one row of a table holding its CPU formula and its WGSL expression, so
// both implementations of `exp` are read on the same line.
//
// On WebGPU, unary and binary maps over a size divisible by 4 (without broadcasting
// beyond a scalar operand) run vectorized: each invocation moves VECTORS_PER_INVOCATION
// vec4s (wgsl.ts says why), applying the op's scalar expression to each component. Other
// sizes and general broadcasting take one element per invocation.

import { type DType, typedArrayFor } from '../dtype.js';
import { dims, f32, u32 } from '../device/uniforms.js';
import type { Shape, Tensor } from '../tensor.js';
import { sizeOf } from '../tensor.js';
import { type Kernel, broadcastStrides, cpuData, cpuTensor } from './kernel.js';
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

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below float32 resolution near 1),
// written identically for the CPU and in WGSL, which has no erf builtin.
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-x * x));
}

/** Each unary op: the CPU formula of one element and the WGSL expression of `x`
 * (`alpha` is the op's one scalar parameter, e.g. leakyRelu's slope). */
export const UNARY_OPS = {
  neg: { cpu: (x: number) => -x, wgsl: '-x' },
  abs: { cpu: Math.abs, wgsl: 'abs(x)' },
  sign: { cpu: Math.sign, wgsl: 'sign(x)' },
  exp: { cpu: Math.exp, wgsl: 'exp(x)' },
  log: { cpu: Math.log, wgsl: 'log(x)' },
  sqrt: { cpu: Math.sqrt, wgsl: 'sqrt(x)' },
  rsqrt: { cpu: (x: number) => 1 / Math.sqrt(x), wgsl: 'inverseSqrt(x)' },
  square: { cpu: (x: number) => x * x, wgsl: 'x * x' },
  relu: { cpu: (x: number) => (x > 0 ? x : 0), wgsl: 'max(x, 0.0)' },
  leakyRelu: { cpu: (x: number, alpha: number) => (x > 0 ? x : alpha * x), wgsl: 'select(alpha * x, x, x > 0.0)' },
  sigmoid: { cpu: (x: number) => 1 / (1 + Math.exp(-x)), wgsl: '1.0 / (1.0 + exp(-x))' },
  tanh: { cpu: Math.tanh, wgsl: 'tanh(clamp(x, -15.0, 15.0))' },
  // softplus(x) = log(1 + e^x), computed as max(x,0) + log1p(e^-|x|) so it never overflows.
  softplus: { cpu: (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), wgsl: 'max(x, 0.0) + log(1.0 + exp(-abs(x)))' },
  erf: { cpu: erf, wgsl: 'erf(x)' },
  // gelu(x) = x Φ(x), the exact (erf-based) form.
  gelu: { cpu: (x: number) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)), wgsl: '0.5 * x * (1.0 + erf(x * 0.7071067811865476))' },
  sin: { cpu: Math.sin, wgsl: 'sin(x)' },
  cos: { cpu: Math.cos, wgsl: 'cos(x)' },
} satisfies Record<string, { cpu: (x: number, alpha: number) => number; wgsl: string }>;

export type UnaryOp = keyof typeof UNARY_OPS;

/** The WGSL erf used by the `erf` and `gelu` expressions (same formula as the CPU's). */
export const WGSL_ERF = /* wgsl */ `
fn erf(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(x) * (1.0 - poly * exp(-x * x));
}`;

/** Each binary op: CPU formula and WGSL expression of `a` and `b`. Comparisons give 0/1. */
export const BINARY_OPS = {
  add: { cpu: (a: number, b: number) => a + b, wgsl: 'a + b' },
  sub: { cpu: (a: number, b: number) => a - b, wgsl: 'a - b' },
  mul: { cpu: (a: number, b: number) => a * b, wgsl: 'a * b' },
  div: { cpu: (a: number, b: number) => a / b, wgsl: 'a / b' },
  pow: { cpu: Math.pow, wgsl: 'pow_signed(a, b)' },
  maximum: { cpu: Math.max, wgsl: 'max(a, b)' },
  minimum: { cpu: Math.min, wgsl: 'min(a, b)' },
  equal: { cpu: (a: number, b: number) => Number(a === b), wgsl: 'select(0.0, 1.0, a == b)' },
  notEqual: { cpu: (a: number, b: number) => Number(a !== b), wgsl: 'select(0.0, 1.0, a != b)' },
  greater: { cpu: (a: number, b: number) => Number(a > b), wgsl: 'select(0.0, 1.0, a > b)' },
  greaterEqual: { cpu: (a: number, b: number) => Number(a >= b), wgsl: 'select(0.0, 1.0, a >= b)' },
  less: { cpu: (a: number, b: number) => Number(a < b), wgsl: 'select(0.0, 1.0, a < b)' },
  lessEqual: { cpu: (a: number, b: number) => Number(a <= b), wgsl: 'select(0.0, 1.0, a <= b)' },
} satisfies Record<string, { cpu: (a: number, b: number) => number; wgsl: string }>;

export type BinaryOp = keyof typeof BINARY_OPS;
export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual']);

/** WGSL pow is undefined for a < 0; this matches Math.pow for integer exponents. */
export const WGSL_POW = /* wgsl */ `
fn pow_signed(a: f32, b: f32) -> f32 {
  if (a >= 0.0) { return pow(a, b); }
  let magnitude = pow(-a, b);
  if (b == floor(b)) { return select(magnitude, -magnitude, (i32(b) & 1) == 1); }
  // NaN, as Math.pow(-2, 0.5); built from a runtime value because WGSL rejects a NaN constant
  return bitcast<f32>(0x7fc00000u | (bitcast<u32>(a) & 0u));
}`;

/** The int32 forms of the unary ops that keep int32 (the others see float32 only). */
const INT_UNARY_WGSL: Partial<Record<UnaryOp, string>> = { relu: 'max(x, 0)' };

// Scalar variant: one invocation computes one element, ys[index] = op(xs[index]).
// Vectorized variant: one invocation computes VECTORS_PER_INVOCATION vec4s of elements, each
// component through the same scalar `op`.
function unaryWgsl(op: UnaryOp, dtype: DType, vectorized: boolean): string {
  const type = wgslType(dtype);
  const expr = (dtype === 'int32' && INT_UNARY_WGSL[op]) || UNARY_OPS[op].wgsl;
  const element = vectorized ? `vec4<${type}>` : type;
  return /* wgsl */ `
${expr.includes('erf(') ? WGSL_ERF : ''}
struct Uniforms { size: u32, alpha: f32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<${element}>;
@group(0) @binding(2) var<storage, read_write> ys: array<${element}>;
fn op(x: ${type}, alpha: f32) -> ${type} { return ${expr}; }
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
    const f = UNARY_OPS[op].cpu as (x: number, alpha: number) => number;
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
  let expr: string = BINARY_OPS[op].wgsl;
  if (op === 'pow' && inDtype === 'int32') expr = 'i32(pow_signed(f32(a), f32(b)))';
  const header = (uniforms: string, aElement: string, bElement: string, outElement: string) => /* wgsl */ `
${op === 'pow' ? WGSL_POW : ''}
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
  cpu(op, a, b, outShape, outDtype) {
    const f = BINARY_OPS[op].cpu;
    const x = cpuData(a);
    const y = cpuData(b);
    const out = typedArrayFor(outDtype, sizeOf(outShape));
    const g = op === 'mul' && outDtype === 'int32' ? Math.imul : f; // int32 products wrap as on the GPU
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

// One invocation computes one output element: cond != 0 ? a : b, each read at index's
// broadcast offset. Values move as 32-bit words, so one variant serves float32 and int32.
function whereWgsl(condDtype: DType): string {
  return /* wgsl */ `
${WGSL_DIMS}
struct Uniforms { size: u32, rank: u32, shape: Dims, cStrides: Dims, aStrides: Dims, bStrides: Dims }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> cData: array<${wgslType(condDtype)}>;
@group(0) @binding(2) var<storage, read> aData: array<u32>;
@group(0) @binding(3) var<storage, read> bData: array<u32>;
@group(0) @binding(4) var<storage, read_write> ys: array<u32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  let c = cData[stridedOffset(index, u.rank, u.shape, u.cStrides)];
  let a = aData[stridedOffset(index, u.rank, u.shape, u.aStrides)];
  let b = bData[stridedOffset(index, u.rank, u.shape, u.bStrides)];
  ys[index] = select(b, a, c != 0);
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

// One invocation converts one element (WGSL's f32 → i32 truncates toward zero, clamping
// values outside the int32 range).
function castWgsl(from: DType, to: DType): string {
  return /* wgsl */ `
struct Uniforms { size: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<${wgslType(from)}>;
@group(0) @binding(2) var<storage, read_write> ys: array<${wgslType(to)}>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  ys[index] = ${wgslType(to)}(xs[index]);
}`;
}

/** out[i] = x[i] converted to dtype (float → int truncates toward zero). */
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
    const out = typedArrayFor(dtype, x.size);
    out.set(cpuData(x));
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
