// conv2d, maxPool2d, avgPool2d: NHWC images, HWIO filters (as TensorFlow and Swift for
// TensorFlow). This file turns the user's options into a Conv2DInfo (output size and
// padding, TensorFlow's 'same'/'valid' rules) and records the gradients, which are
// kernels of their own (src/kernels/conv.ts, src/kernels/pool.ts) recorded in turn, for
// gradients of gradients.

import { record } from '../autodiff/tape.js';
import { TensorLoopError, shapeString } from '../errors.js';
import { type Conv2DInfo, conv2dBackpropFilterKernel, conv2dBackpropInputKernel, conv2dKernel } from '../kernels/conv.js';
import { kernelFor } from '../kernels/kernel.js';
import { type PoolOp, pool2dBackwardKernel, pool2dKernel } from '../kernels/pool.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertSameDevice, assertTensor, assertOutputAllocatable } from './util.js';
import { checkOptions, checkRequiredOptions } from '../options.js';

export type Padding = 'same' | 'valid' | number;
type Pair = number | readonly [number, number];

export interface Conv2DOptions {
  strides?: Pair;
  padding?: Padding;
  dilations?: Pair;
}

export interface Pool2DOptions {
  windowSize: Pair;
  /** Defaults to the window size. */
  strides?: Pair;
  padding?: Padding;
}

function pair(op: string, name: string, value: Pair): [number, number] {
  const [a, b] = typeof value === 'number' ? [value, value] : value;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a! < 1 || b! < 1) {
    throw new TensorLoopError(`${op}: ${name} must be positive integers, got ${JSON.stringify(value)}`);
  }
  return [a!, b!];
}

/** Output size and leading padding along one axis, TensorFlow's rules. */
function axisGeometry(op: string, size: number, window: number, stride: number, dilation: number, padding: Padding): [number, number] {
  const effective = (window - 1) * dilation + 1;
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + effective - size, 0);
    return [out, Math.floor(total / 2)];
  }
  const pad = padding === 'valid' ? 0 : padding;
  if (!Number.isInteger(pad) || pad < 0) throw new TensorLoopError(`${op}: padding must be 'same', 'valid' or a non-negative integer, got ${JSON.stringify(padding)}`);
  const out = Math.floor((size + 2 * pad - effective) / stride) + 1;
  return [out, pad];
}

export function conv2dGeometry(op: string, xShape: readonly number[], kH: number, kW: number, outC: number, strides: Pair, padding: Padding, dilations: Pair): Conv2DInfo {
  const [strideH, strideW] = pair(op, 'strides', strides);
  const [dilationH, dilationW] = pair(op, 'dilations', dilations);
  const [batch, inH, inW, inC] = xShape as [number, number, number, number];
  const [outH, padTop] = axisGeometry(op, inH, kH, strideH, dilationH, padding);
  const [outW, padLeft] = axisGeometry(op, inW, kW, strideW, dilationW, padding);
  if (outH < 1 || outW < 1) {
    throw new TensorLoopError(`${op}: a ${kH}×${kW} window (dilation ${dilationH}×${dilationW}) does not fit input ${shapeString(xShape)} with padding ${JSON.stringify(padding)}`);
  }
  return { batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft };
}

/** 2-D convolution: x [N, H, W, C] with filters w [KH, KW, C, CO] → [N, OH, OW, CO]. */
export function conv2d(x: Tensor, w: Tensor, options: Conv2DOptions = {}): Tensor {
  const { strides = 1, padding = 'valid', dilations = 1 } = checkOptions('conv2d', options, ['strides', 'padding', 'dilations']);
  assertTensor('conv2d', x);
  assertTensor('conv2d', w, 'filter');
  assertSameDevice('conv2d', [x, w]);
  assertFloat('conv2d', x);
  assertFloat('conv2d', w, 'filter');
  if (x.rank !== 4) throw new TensorLoopError(`conv2d: input must be NHWC (rank 4), got ${shapeString(x.shape)}`);
  if (w.rank !== 4) throw new TensorLoopError(`conv2d: filter must be HWIO (rank 4), got ${shapeString(w.shape)}`);
  if (w.shape[2] !== x.shape[3]) {
    throw new TensorLoopError(`conv2d: input has ${x.shape[3]} channels but filter ${shapeString(w.shape)} expects ${w.shape[2]}`);
  }
  const info = conv2dGeometry('conv2d', x.shape, w.shape[0]!, w.shape[1]!, w.shape[3]!, strides, padding, dilations);
  assertOutputAllocatable('conv2d', [info.batch, info.outH, info.outW, info.outC], x);
  return convolve(x, w, info);
}

// The convolution and its two gradients are bilinear, and each one's gradients are the
// other two: <g, conv(x, w)> = <backpropInput(g, w), x> = <backpropFilter(x, g), w>. Each
// records that rule, so gradients of gradients work to any order.

function convolve(x: Tensor, w: Tensor, info: Conv2DInfo): Tensor {
  const y = kernelFor(conv2dKernel, x.device)(x, w, info);
  record('conv2d', [x, w], y, (dy, needs) => [needs[0] ? backpropInput(dy, w, info) : null, needs[1] ? backpropFilter(x, dy, info) : null]);
  return y;
}

/** dx = the gradient of conv(x, w) with respect to x, given dy. */
function backpropInput(dy: Tensor, w: Tensor, info: Conv2DInfo): Tensor {
  const dx = kernelFor(conv2dBackpropInputKernel, dy.device)(dy, w, info);
  record('conv2dBackpropInput', [dy, w], dx, (g, needs) => [needs[0] ? convolve(g, w, info) : null, needs[1] ? backpropFilter(g, dy, info) : null]);
  return dx;
}

/** dw = the gradient of conv(x, w) with respect to w, given dy. */
function backpropFilter(x: Tensor, dy: Tensor, info: Conv2DInfo): Tensor {
  const dw = kernelFor(conv2dBackpropFilterKernel, dy.device)(x, dy, info);
  record('conv2dBackpropFilter', [x, dy], dw, (g, needs) => [needs[0] ? backpropInput(dy, g, info) : null, needs[1] ? convolve(x, g, info) : null]);
  return dw;
}

function pool2d(op: PoolOp, name: string, x: Tensor, options: Pool2DOptions): Tensor {
  const { windowSize, strides, padding = 'valid' } = checkRequiredOptions(name, options, ['windowSize', 'strides', 'padding']);
  assertTensor(name, x);
  assertFloat(name, x);
  if (x.rank !== 4) throw new TensorLoopError(`${name}: input must be NHWC (rank 4), got ${shapeString(x.shape)}`);
  if (windowSize === undefined) throw new TensorLoopError(`${name}: windowSize is required`);
  const [kH, kW] = pair(name, 'windowSize', windowSize);
  const info = conv2dGeometry(name, x.shape, kH, kW, x.shape[3]!, strides ?? [kH, kW], padding, 1);
  return pool(op, name, x, info);
}

function pool(op: PoolOp, name: string, x: Tensor, info: Conv2DInfo): Tensor {
  const y = kernelFor(pool2dKernel, x.device)(op, x, info);
  record(name, [x], y, (dy) => [poolBackward(op, name, dy, x, info)]);
  return y;
}

/** dx of a pooling given dy. It is linear in dy, and piecewise constant in x (zero
 * gradient). Average pooling's dx is dy spread over each window, whose own gradient is
 * the average pooling of g; max pooling's would be g read at each window's maximum,
 * which no kernel computes: a second-order gradient through dy throws. */
function poolBackward(op: PoolOp, name: string, dy: Tensor, x: Tensor, info: Conv2DInfo): Tensor {
  const dx = kernelFor(pool2dBackwardKernel, dy.device)(op, dy, x, info);
  record(`${name}Backward`, [dy, x], dx, (g, needs) => {
    if (needs[0] && op === 'max') {
      throw new TensorLoopError(`${name}: second-order gradients through max pooling are not supported (the gradient of its gradient with respect to dy)`);
    }
    return [needs[0] ? pool(op, name, g, info) : null, null];
  });
  return dx;
}

/** Max over each window (NHWC). Padding positions never win. */
export const maxPool2d = (x: Tensor, options: Pool2DOptions): Tensor => pool2d('max', 'maxPool2d', x, options);
/** Mean over each window's in-bounds elements (NHWC). */
export const avgPool2d = (x: Tensor, options: Pool2DOptions): Tensor => pool2d('avg', 'avgPool2d', x, options);
