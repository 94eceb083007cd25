// Elementwise ops: the public functions, their checks, and the gradient rule of each,
// written next to each other. The kernels are in src/kernels/elementwise.ts.

import { record } from '../autodiff/tape.js';
import type { DType } from '../dtype.js';
import { TensorLoopError } from '../errors.js';
import { type BinaryOp, COMPARISON_OPS, type UnaryOp, binaryKernel, binaryNumberKernel, castKernel, unaryKernel, whereKernel } from '../kernels/elementwise.js';
import { kernelFor } from '../kernels/kernel.js';
import { type Shape, type Tensor, scalar, zeros } from '../tensor.js';
import { sumToShape } from './reduce.js';
import { type TensorLike, assertSameDevice, assertTensor, broadcastShapes, toTensors, composite, assertOutputAllocatable } from './util.js';

// ---------------------------------------------------------------- unary

/** Gradient rules: given x, y = f(x) and dy, the gradient with respect to x. */
const UNARY_GRADIENTS: Record<UnaryOp, ((x: Tensor, y: Tensor, dy: Tensor, alpha: number) => Tensor) | null> = {
  neg: (_x, _y, dy) => neg(dy), // d(-x) = -dx
  abs: (x, _y, dy) => mul(dy, sign(x)), // d|x| = sign(x) dx
  sign: null,
  exp: (_x, y, dy) => mul(dy, y), // d(e^x) = e^x dx
  log: (x, _y, dy) => div(dy, x), // d(log x) = dx / x
  sqrt: (_x, y, dy) => div(dy, mul(y, 2)), // d(√x) = dx / (2√x)
  rsqrt: (_x, y, dy) => mul(dy, mul(pow(y, 3), -0.5)), // d(x^-½) = -½ x^-3/2 dx
  square: (x, _y, dy) => mul(dy, mul(x, 2)), // d(x²) = 2x dx
  relu: (x, _y, dy) => mul(dy, greater(x, 0)), // d relu = [x > 0] dx
  leakyRelu: (x, _y, dy, alpha) => mul(dy, where(greater(x, 0), 1, alpha)),
  sigmoid: (_x, y, dy) => mul(dy, mul(y, sub(1, y))), // dσ = σ(1-σ) dx
  tanh: (_x, y, dy) => mul(dy, sub(1, square(y))), // d tanh = (1 - tanh²) dx
  softplus: (x, _y, dy) => mul(dy, sigmoid(x)), // d softplus = σ(x) dx
  erf: (x, _y, dy) => mul(dy, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))), // d erf = 2/√π e^{-x²} dx
  // d gelu = Φ(x) + x φ(x), with Φ(x) = ½(1 + erf(x/√2)) and φ(x) = e^{-x²/2}/√(2π)
  gelu: (x, _y, dy) => {
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return mul(dy, add(cdf, mul(x, pdf)));
  },
  sin: (x, _y, dy) => mul(dy, cos(x)), // d sin = cos dx
  cos: (x, _y, dy) => mul(dy, neg(sin(x))), // d cos = -sin dx
};

/** Ops that keep int32 as int32; every other unary op computes in float32. */
const INTEGER_UNARY: ReadonlySet<UnaryOp> = new Set(['neg', 'abs', 'sign', 'square', 'relu']);

function unary(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  assertTensor(op, x);
  return composite(() => {
    const input = x.dtype === 'int32' && !INTEGER_UNARY.has(op) ? cast(x, 'float32') : x;
    const y = kernelFor(unaryKernel, input.device)(op, input, alpha);
    const rule = UNARY_GRADIENTS[op];
    if (rule) record(op, [input], y, (dy) => [rule(input, y, dy, alpha)]);
    return y;
  });
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const sign = (x: Tensor): Tensor => unary('sign', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
export const square = (x: Tensor): Tensor => unary('square', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const leakyRelu = (x: Tensor, alpha = 0.2): Tensor => unary('leakyRelu', x, alpha);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const softplus = (x: Tensor): Tensor => unary('softplus', x);
export const erf = (x: Tensor): Tensor => unary('erf', x);
/** The exact GELU, x Φ(x) with the erf-based normal CDF. */
export const gelu = (x: Tensor): Tensor => unary('gelu', x);
export const sin = (x: Tensor): Tensor => unary('sin', x);
export const cos = (x: Tensor): Tensor => unary('cos', x);

// ---------------------------------------------------------------- binary

/** Gradient rules, one per operand (only the needed ones run), before broadcast reduction.
 * The other operand may be a number (`mul(x, 2)`): the rules take it as it came. */
type SideRule = (a: TensorLike, b: TensorLike, y: Tensor, dy: Tensor) => Tensor;
const BINARY_GRADIENTS: Partial<Record<BinaryOp, { a: SideRule; b: SideRule }>> = {
  add: { a: (_a, _b, _y, dy) => dy, b: (_a, _b, _y, dy) => dy },
  sub: { a: (_a, _b, _y, dy) => dy, b: (_a, _b, _y, dy) => neg(dy) },
  mul: { a: (_a, b, _y, dy) => mul(dy, b), b: (a, _b, _y, dy) => mul(dy, a) },
  // d(a/b) = da/b - a db/b²
  div: { a: (_a, b, _y, dy) => div(dy, b), b: (a, b, _y, dy) => neg(div(mul(dy, a), square(b as Tensor))) },
  // d(a^b) = b a^(b-1) da + a^b log(a) db, with PyTorch's values where that formula breaks:
  // da = 0 where b = 0 (a⁰ is constant, though 0·0⁻¹ is NaN), db = 0 where a = 0 and b ≥ 0
  // (0^b is 0 or 1 there, though 0·log 0 is NaN); a negative base gives db = NaN (log a).
  pow: {
    a: (a, b, _y, dy) => {
      const exponent = b as Tensor | number;
      if (typeof exponent === 'number') return exponent === 0 ? zeros(dy.shape, { device: dy.device }) : mul(dy, mul(pow(a, exponent - 1), exponent));
      return where(equal(exponent, 0), 0, mul(dy, mul(exponent, pow(a, sub(exponent, 1)))));
    },
    b: (a, b, y, dy) => {
      const base = typeof a === 'number' ? scalar(a, { device: dy.device }) : a;
      return where(mul(equal(base, 0), greaterEqual(b, 0)), 0, mul(dy, mul(y, log(base))));
    },
  },
  // the larger input takes the gradient; ties send it to a (as TensorFlow does)
  // (b's share is 1 - [a wins], so a NaN comparison sends the gradient to b)
  maximum: { a: (a, b, _y, dy) => mul(dy, greaterEqual(a, b)), b: (a, b, _y, dy) => mul(dy, sub(1, greaterEqual(a, b))) },
  minimum: { a: (a, b, _y, dy) => mul(dy, lessEqual(a, b)), b: (a, b, _y, dy) => mul(dy, sub(1, lessEqual(a, b))) },
};

/** The shape a binary op sees for an argument: a number is a scalar. */
const shapeOf = (v: TensorLike): Shape => (typeof v === 'number' ? [] : v.shape);

function binary(op: BinaryOp, aLike: TensorLike, bLike: TensorLike): Tensor {
  if (typeof aLike !== 'number') assertTensor(op, aLike, 'a');
  if (typeof bLike !== 'number') assertTensor(op, bLike, 'b');
  // check the shapes before anything is allocated (scalars for numbers, float32 copies)
  const outShape = broadcastShapes(op, shapeOf(aLike), shapeOf(bLike));
  assertOutputAllocatable(op, outShape, aLike, bLike);
  return composite(() => (typeof aLike === 'number' || typeof bLike === 'number' ? binaryWithNumber(op, aLike, bLike) : binaryOf(op, aLike, bLike, outShape)));
}

function binaryOf(op: BinaryOp, aLike: TensorLike, bLike: TensorLike, outShape: number[]): Tensor {
  let [a, b] = toTensors(op, [aLike, bLike]);
  assertSameDevice(op, [a!, b!]);
  // int32 with float32 computes in float32; division always does (true division)
  if (a!.dtype !== b!.dtype || (op === 'div' && a!.dtype === 'int32')) {
    a = a!.dtype === 'float32' ? a : cast(a!, 'float32');
    b = b!.dtype === 'float32' ? b : cast(b!, 'float32');
  }
  const outDtype: DType = COMPARISON_OPS.has(op) ? 'float32' : a!.dtype;
  const y = kernelFor(binaryKernel, a!.device)(op, a!, b!, outShape, outDtype);
  const rule = BINARY_GRADIENTS[op];
  if (rule) {
    const [x0, x1] = [a!, b!];
    record(op, [x0, x1], y, (dy, needs) => [
      needs[0] ? sumToShape(rule.a(x0, x1, y, dy), x0.shape) : null,
      needs[1] ? sumToShape(rule.b(x0, x1, y, dy), x1.shape) : null,
    ]);
  }
  return y;
}

/** A binary op with one number operand: the number goes to the kernel as a value (on WebGPU
 * in the uniforms), never as a tensor. Its dtype follows the tensor's rules: an integer meets
 * an int32 tensor as int32, any other number makes the op float32. */
function binaryWithNumber(op: BinaryOp, aLike: TensorLike, bLike: TensorLike): Tensor {
  const numberFirst = typeof aLike === 'number';
  let x = (numberFirst ? bLike : aLike) as Tensor;
  const value = (numberFirst ? aLike : bLike) as number;
  if (typeof (numberFirst ? bLike : aLike) === 'number') throw new TensorLoopError(`${op}: at least one argument must be a Tensor`);
  if (x.dtype === 'int32' && (!Number.isInteger(value) || op === 'div')) x = cast(x, 'float32');
  const outDtype: DType = COMPARISON_OPS.has(op) ? 'float32' : x.dtype;
  const y = kernelFor(binaryNumberKernel, x.device)(op, x, value, numberFirst, outDtype);
  const rule = BINARY_GRADIENTS[op];
  if (rule) {
    const input = x;
    record(op, [input], y, (dy) => [numberFirst ? rule.b(value, input, y, dy) : rule.a(input, value, y, dy)]);
  }
  return y;
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', a, b);
export const equal = (a: TensorLike, b: TensorLike): Tensor => binary('equal', a, b);
export const notEqual = (a: TensorLike, b: TensorLike): Tensor => binary('notEqual', a, b);
export const greater = (a: TensorLike, b: TensorLike): Tensor => binary('greater', a, b);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => binary('greaterEqual', a, b);
export const less = (a: TensorLike, b: TensorLike): Tensor => binary('less', a, b);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => binary('lessEqual', a, b);


// ---------------------------------------------------------------- where, cast, clip

/** cond ? a : b elementwise (cond nonzero means true), all three broadcast together. */
export function where(condition: Tensor, aLike: TensorLike, bLike: TensorLike): Tensor {
  assertTensor('where', condition, 'condition');
  if (typeof aLike !== 'number') assertTensor('where', aLike, 'a');
  if (typeof bLike !== 'number') assertTensor('where', bLike, 'b');
  assertSameDevice('where', [condition, ...[aLike, bLike].filter((v): v is Tensor => typeof v !== 'number')]);
  const device = condition.device;
  const valueDtype = typeof aLike !== 'number' ? aLike.dtype : typeof bLike !== 'number' ? bLike.dtype : 'float32';
  // every check before the first allocation (the scalars standing for numbers)
  const dtypeOf = (v: TensorLike): string => (typeof v !== 'number' ? v.dtype : valueDtype === 'int32' && !Number.isInteger(v) ? `float32 (${v})` : valueDtype);
  if (dtypeOf(aLike) !== dtypeOf(bLike)) {
    throw new TensorLoopError(`where: a and b must share a dtype, got ${dtypeOf(aLike)} and ${dtypeOf(bLike)}`);
  }
  const outShape = broadcastShapes('where', condition.shape, shapeOf(aLike), shapeOf(bLike));
  assertOutputAllocatable('where', outShape, condition);
  return composite(() => {
    const a = typeof aLike === 'number' ? scalar(aLike, { device, dtype: valueDtype }) : aLike;
    const b = typeof bLike === 'number' ? scalar(bLike, { device, dtype: valueDtype }) : bLike;
    const y = kernelFor(whereKernel, device)(condition, a, b, outShape);
    record('where', [a, b], y, (dy, needs) => {
      const zero = mul(dy, 0);
      return [
        needs[0] ? sumToShape(where(condition, dy, zero), a.shape) : null,
        needs[1] ? sumToShape(where(condition, zero, dy), b.shape) : null,
      ];
    });
    return y;
  });
}

/** Converts to another dtype; float → int32 truncates toward zero, saturates at the int32
 * limits and gives 0 for NaN. Not differentiable
 * into int32; float32 → float32 is the identity. */
export function cast(x: Tensor, dtype: DType): Tensor {
  assertTensor('cast', x);
  if (dtype !== 'float32' && dtype !== 'int32') throw new TensorLoopError(`cast: unknown dtype ${String(dtype)}`);
  if (x.dtype === dtype) return x;
  return kernelFor(castKernel, x.device)(x, dtype);
}

/** Limits values to [min, max]; the gradient passes where x is inside. */
export function clip(x: Tensor, min: number, max: number): Tensor {
  if (min > max) throw new TensorLoopError(`clip: min ${min} is greater than max ${max}`);
  return composite(() => minimum(maximum(x, min), max));
}
