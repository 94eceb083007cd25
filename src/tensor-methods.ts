// Chainable methods: `x.matmul(w).add(b).relu()` is `relu(add(matmul(x, w), b))`. Each
// method forwards to the op function of the same name; importing this file installs them.

import type { DType } from './dtype.js';
import * as ops from './ops/index.js';
import { type Shape, Tensor } from './tensor.js';
import type { TensorLike } from './ops/util.js';

type Axis = number | readonly number[];

declare module './tensor.js' {
  interface Tensor {
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor;
    maximum(b: TensorLike): Tensor;
    minimum(b: TensorLike): Tensor;
    equal(b: TensorLike): Tensor;
    notEqual(b: TensorLike): Tensor;
    greater(b: TensorLike): Tensor;
    greaterEqual(b: TensorLike): Tensor;
    less(b: TensorLike): Tensor;
    lessEqual(b: TensorLike): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    square(): Tensor;
    relu(): Tensor;
    leakyRelu(alpha?: number): Tensor;
    gelu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    softplus(): Tensor;
    clip(min: number, max: number): Tensor;
    cast(dtype: DType): Tensor;
    matmul(b: Tensor, options?: ops.MatmulOptions): Tensor;
    sum(axis?: Axis, options?: ops.ReduceOptions): Tensor;
    mean(axis?: Axis, options?: ops.ReduceOptions): Tensor;
    max(axis?: Axis, options?: ops.ReduceOptions): Tensor;
    min(axis?: Axis, options?: ops.ReduceOptions): Tensor;
    argmax(axis?: number, options?: ops.ReduceOptions): Tensor;
    argmin(axis?: number, options?: ops.ReduceOptions): Tensor;
    reshape(shape: Shape): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    broadcastTo(shape: Shape): Tensor;
    slice(begin: readonly number[], size?: readonly number[]): Tensor;
    pad(paddings: readonly (readonly [number, number])[], value?: number): Tensor;
    gather(indices: Tensor, axis?: number): Tensor;
    expandDims(axis?: number): Tensor;
    squeeze(axis?: number | readonly number[]): Tensor;
    flatten(): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
  }
}

const methods = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'equal', 'notEqual', 'greater', 'greaterEqual', 'less',
  'lessEqual', 'neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'relu', 'leakyRelu', 'gelu', 'sigmoid', 'tanh',
  'softplus', 'clip', 'cast', 'matmul', 'sum', 'mean', 'max', 'min', 'argmax', 'argmin', 'reshape', 'transpose',
  'broadcastTo', 'slice', 'pad', 'gather', 'expandDims', 'squeeze', 'flatten', 'softmax', 'logSoftmax',
] as const;

const table = ops as unknown as Record<string, (self: Tensor, ...args: unknown[]) => Tensor>;
const prototype = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of methods) {
  prototype[name] = function (this: Tensor, ...args: unknown[]) {
    return table[name]!(this, ...args);
  };
}
