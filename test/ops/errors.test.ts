// Bad input: every op checks its arguments before doing any work. Each case must throw a
// TensorLoopError whose message starts with the op's name (and says what is wrong), and
// leave the number of live tensors and device buffers exactly as it was.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, valueAndGrad } from '../../src/autodiff/gradients.js';
import * as ops from '../../src/ops/index.js';
import { type Tensor, arange, full, ones, scalar, tensor, zeros } from '../../src/tensor.js';
import { TensorLoopError } from '../../src/errors.js';
import { assertOpError, input, testDevices } from './support.js';

for (const device of await testDevices()) {
  const on = `[${device.name}]`;
  // arguments: made through input() so the allocation check does not count them
  const t = (values: Parameters<typeof tensor>[0], dtype: 'float32' | 'int32' = 'float32'): Tensor => input(tensor(values, { device, dtype }));
  const f = (shape: number[]): Tensor => input(ones(shape, { device }));
  const z = (shape: number[], dtype: 'float32' | 'int32' = 'float32'): Tensor => input(zeros(shape, { device, dtype }));
  const ints = (values: number[]): Tensor => t(values, 'int32');

  test(`shape mismatches name the op and both shapes ${on}`, () => {
    assertOpError(() => ops.add(f([2, 3]), f([4])), 'add', device, /\[2,3\] and \[4\]/);
    assertOpError(() => ops.mul(f([2, 3]), f([3, 2])), 'mul', device, /do not broadcast/);
    assertOpError(() => ops.maximum(f([2]), f([3])), 'maximum', device);
    assertOpError(() => ops.greater(f([2]), f([3])), 'greater', device);
    assertOpError(() => ops.where(f([2]), f([3]), f([3])), 'where', device);
    assertOpError(() => ops.broadcastTo(f([2, 3]), [3, 3]), 'broadcastTo', device, /\[2,3\]/);
    assertOpError(() => ops.broadcastTo(f([3]), [1]), 'broadcastTo', device);
    assertOpError(() => ops.concat([f([2, 3]), f([2, 4])]), 'concat', device, /\[2,3\]/);
    assertOpError(() => ops.concat([f([2, 3]), f([2])], 1), 'concat', device);
    assertOpError(() => ops.stack([f([2]), f([3])]), 'stack', device, /\[2\], \[3\]/);
  });

  test(`shape mismatches that involve a number or a dtype promotion allocate nothing ${on}`, () => {
    // the number becomes a scalar tensor and the int32 side a float32 copy: neither may leak
    assertOpError(() => ops.add(ints([1, 2]), f([3])), 'add', device, /do not broadcast/);
    assertOpError(() => ops.where(f([3]), 1, f([2])), 'where', device, /do not broadcast/);
    assertOpError(() => ops.where(f([2]), ints([1, 2]), 0.5), 'where', device, /int32 and float32/);
  });

  test(`matmul: inner dimensions, rank, batch dims ${on}`, () => {
    assertOpError(() => ops.matmul(f([2, 3]), f([4, 5])), 'matmul', device, /inner dimensions differ: \[2,3\].*@ \[4,5\]/);
    assertOpError(() => ops.matmul(f([2, 3]), f([2, 3]), { transposeB: false }), 'matmul', device, /inner dimensions/);
    assertOpError(() => ops.matmul(f([3]), f([3, 2])), 'matmul', device, /rank/);
    assertOpError(() => ops.matmul(f([2, 2, 3]), f([3, 3, 4])), 'matmul', device, /broadcast/);
  });

  test(`bad axes ${on}`, () => {
    assertOpError(() => ops.sum(f([2, 3]), 2), 'sum', device, /axis 2 .*rank 2/);
    assertOpError(() => ops.sum(f([2, 3]), -3), 'sum', device);
    assertOpError(() => ops.sum(f([2, 3]), [0, 0]), 'sum', device, /repeated/);
    assertOpError(() => ops.mean(f([2, 3]), 1.5), 'mean', device);
    assertOpError(() => ops.max(f([2, 3]), 5), 'max', device);
    assertOpError(() => ops.argmax(f([2, 3]), 2), 'argmax', device);
    assertOpError(() => ops.argmin(f([2, 3]), [0, 1] as unknown as number), 'argmin', device);
    assertOpError(() => ops.sum(input(scalar(4, { device })), 0), 'sum', device, /axis 0 .*rank 0/);
    assertOpError(() => ops.concat([input(scalar(1, { device })), input(scalar(2, { device }))]), 'concat', device, /rank 0/);
    assertOpError(() => ops.gather(input(scalar(1, { device })), ints([0])), 'gather', device, /rank 0/);
    assertOpError(() => ops.max(z([0, 3]), 0), 'max', device, /empty/);
    assertOpError(() => ops.argmax(z([2, 0])), 'argmax', device, /empty/);
    assertOpError(() => ops.concat([f([2]), f([2])], 1), 'concat', device, /axis 1/);
    assertOpError(() => ops.stack([f([2]), f([2])], 3), 'stack', device);
    assertOpError(() => ops.gather(f([2, 3]), ints([0]), 2), 'gather', device);
    assertOpError(() => ops.softmax(f([2, 3]), 2), 'softmax', device);
    assertOpError(() => ops.logSoftmax(f([2, 3]), -3), 'logSoftmax', device);
    assertOpError(() => ops.expandDims(f([2]), 3), 'expandDims', device);
    assertOpError(() => ops.squeeze(f([2, 3]), 0), 'squeeze', device, /not 1/);
  });

  test(`bad permutations, slices and paddings ${on}`, () => {
    assertOpError(() => ops.transpose(f([2, 3]), [0, 0]), 'transpose', device, /perm/);
    assertOpError(() => ops.transpose(f([2, 3]), [1, 0, 2]), 'transpose', device);
    assertOpError(() => ops.slice(f([2, 3]), [1, 2], [2, 1]), 'slice', device, /outside \[2,3\]/);
    assertOpError(() => ops.slice(f([2, 3]), [0]), 'slice', device);
    assertOpError(() => ops.slice(f([2, 3]), [-1, 0]), 'slice', device);
    assertOpError(() => ops.pad(f([2]), [[-1, 0]]), 'pad', device);
    assertOpError(() => ops.pad(f([2]), [[1, 0], [0, 0]]), 'pad', device);
  });

  test(`reshape that changes the size ${on}`, () => {
    assertOpError(() => ops.reshape(f([2, 3]), [4, 2]), 'reshape', device, /\[2,3\] \(6 elements\) to \[4,2\]/);
    assertOpError(() => ops.reshape(f([2, 3]), [4, -1]), 'reshape', device);
    assertOpError(() => ops.reshape(f([2, 3]), [-1, -1]), 'reshape', device);
    assertOpError(() => ops.reshape(f([2, 3]), [2.5, 2]), 'reshape', device);
  });

  test(`wrong dtypes ${on}`, () => {
    assertOpError(() => ops.gather(f([3]), t([0, 1])), 'gather', device, /int32/);
    assertOpError(() => ops.oneHot(t([0, 1]), 3), 'oneHot', device, /int32/);
    assertOpError(() => ops.where(f([2]), f([2]), ints([1, 2])), 'where', device, /dtype/);
    assertOpError(() => ops.concat([f([2]), ints([1, 2])]), 'concat', device);
    assertOpError(() => ops.conv2d(z([1, 3, 3, 1], 'int32'), f([1, 1, 1, 1])), 'conv2d', device, /float32/);
    assertOpError(() => ops.maxPool2d(z([1, 2, 2, 1], 'int32'), { windowSize: 2 }), 'maxPool2d', device);
    assertOpError(() => ops.softmax(ints([1, 2])), 'softmax', device);
    assertOpError(() => ops.dropout(ints([1, 2]), 0.5), 'dropout', device);
    assertOpError(() => ops.cast(f([1]), 'float64' as 'float32'), 'cast', device);
  });

  // Known device difference: gather checks index values only where they are host memory
  // (the CPU). On WebGPU the indices live in a GPU buffer, and checking them would need a
  // synchronous readback per gather, which WebGPU does not offer.
  if (device.kind === 'cpu') {
    test(`out-of-range gather indices ${on}`, () => {
      assertOpError(() => ops.gather(f([3, 2]), ints([0, 3])), 'gather', device, /index 3 .*\[0, 3\)/);
      assertOpError(() => ops.gather(f([3, 2]), ints([-1])), 'gather', device, /index -1/);
      assertOpError(() => ops.gather(f([3, 2]), ints([0, 2]), 1), 'gather', device, /index 2/);
    });
  }

  test(`non-integer indices ${on}`, () => {
    assertOpError(() => ops.gather(f([3]), t([0.5])), 'gather', device);
    assertOpError(() => ops.oneHot(ints([1]), 0), 'oneHot', device, /depth/);
    assertOpError(() => ops.oneHot(ints([1]), 2.5), 'oneHot', device, /depth/);
    assertOpError(() => tensor([1.5, 2], { device, dtype: 'int32' }), 'tensor', device, /int32/);
  });

  test(`conv2d and pooling geometry ${on}`, () => {
    const x = f([1, 4, 4, 3]);
    assertOpError(() => ops.conv2d(x, f([3, 3, 2, 8])), 'conv2d', device, /3 channels/);
    assertOpError(() => ops.conv2d(f([4, 4, 3]), f([3, 3, 3, 8])), 'conv2d', device, /rank 4/);
    assertOpError(() => ops.conv2d(x, f([3, 3, 3])), 'conv2d', device, /HWIO/);
    assertOpError(() => ops.conv2d(x, f([5, 5, 3, 1])), 'conv2d', device, /does not fit/);
    assertOpError(() => ops.conv2d(x, f([1, 1, 3, 1]), { strides: 0 }), 'conv2d', device, /strides/);
    assertOpError(() => ops.conv2d(x, f([1, 1, 3, 1]), { padding: -1 }), 'conv2d', device, /padding/);
    assertOpError(() => ops.conv2d(x, f([3, 3, 3, 1]), { dilations: [1, 0] }), 'conv2d', device, /dilations/);
    assertOpError(() => ops.maxPool2d(f([4, 4, 3]), { windowSize: 2 }), 'maxPool2d', device, /rank 4/);
    assertOpError(() => ops.avgPool2d(x, { windowSize: 5 }), 'avgPool2d', device, /does not fit/);
    assertOpError(() => ops.avgPool2d(x, { windowSize: 2, strides: 0 }), 'avgPool2d', device);
    assertOpError(() => ops.maxPool2d(x, {} as ops.Pool2DOptions), 'maxPool2d', device, /windowSize/);
  });

  test(`bad scalar arguments ${on}`, () => {
    assertOpError(() => ops.dropout(f([2]), 1), 'dropout', device, /rate/);
    assertOpError(() => ops.dropout(f([2]), -0.1), 'dropout', device, /rate/);
    assertOpError(() => ops.clip(f([2]), 1, 0), 'clip', device);
    assertOpError(() => arange(0, 5, 0, { device }), 'arange', device);
    assertOpError(() => zeros([2, -1], { device }), 'zeros', device);
    assertOpError(() => full([1.5], 0, { device }), 'full', device);
    assertOpError(() => tensor([[1, 2], [3]], { device }), 'tensor', device, /ragged/);
    assertOpError(() => tensor([1, 2, 3], { device, shape: [2, 2] }), 'tensor', device);
  });

  test(`a disposed tensor is refused by name ${on}`, () => {
    const gone = f([2, 2]);
    gone.dispose();
    const live = f([2, 2]);
    assertOpError(() => ops.add(gone, live), 'add', device, /disposed/);
    assertOpError(() => ops.add(live, gone), 'add', device, /disposed/);
    assertOpError(() => ops.exp(gone), 'exp', device, /disposed/);
    assertOpError(() => ops.sum(gone), 'sum', device, /disposed/);
    assertOpError(() => ops.reshape(gone, [4]), 'reshape', device, /disposed/);
    assertOpError(() => ops.matmul(live, gone), 'matmul', device, /disposed/);
    assertOpError(() => ops.concat([live, gone]), 'concat', device, /disposed/);
    assertOpError(() => ops.softmax(gone), 'softmax', device, /disposed/);
    assertOpError(() => ops.where(live, gone, live), 'where', device, /disposed/);
  });

  test(`readback of a disposed tensor and item() of many elements reject ${on}`, async () => {
    const gone = f([2]);
    gone.dispose();
    for (const [name, promise] of [['data', gone.data()], ['item', f([2]).item()]] as const) {
      const error = await promise.then(() => null, (e: unknown) => e);
      assert.instance(error, TensorLoopError, name);
    }
  });

  test(`gradients: int32 arguments and non-scalar functions are refused ${on}`, () => {
    assertOpError(() => grad((x) => ops.sum(x))(ints([1, 2])), 'grad', device, /int32/);
    assertOpError(() => valueAndGrad((x) => ops.mul(x, 2))(f([2])), 'valueAndGrad', device, /scalar/);
  });
}

test.run();
