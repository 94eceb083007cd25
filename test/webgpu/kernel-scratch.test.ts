// The kernel contract's scratch rule: a WebGPU kernel that needs temporary buffers between
// its passes (reductions split in two passes, argmax/argmin's winning values, split-K
// matmuls, the softmax cross-entropy gradient's row statistics) returns every one of them
// to the device: after the outputs are disposed the device holds as many live buffers as
// before. argmax/argmin's single-pass branch leaked one buffer per call before.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argmax, argmin, matmul, randn, softmaxCrossEntropy, sum, tensor, tidy, valueAndGrad } from '../../src/index.js';
import { testWebGpu } from '../helpers/devices.js';

const gpu = await testWebGpu();

if (gpu) {
  const cases: [string, () => unknown][] = [
    ['argmax, one pass', () => argmax(randn([8, 100], { seed: 1, device: gpu }), 1)],
    ['argmin, one pass', () => argmin(randn([8, 100], { seed: 2, device: gpu }), 1)],
    ['argmax, two passes', () => argmax(randn([2, 20000], { seed: 3, device: gpu }), 1)],
    ['sum, two passes', () => sum(randn([2, 20000], { seed: 4, device: gpu }), 1)],
    ['matmul with split K', () => matmul(randn([4, 8192], { seed: 5, device: gpu }), randn([8192, 4], { seed: 6, device: gpu }))],
    [
      'softmaxCrossEntropy gradient',
      () => valueAndGrad((x) => softmaxCrossEntropy(x, tensor([1, 0, 2], { dtype: 'int32', device: gpu })))(randn([3, 5], { seed: 7, device: gpu })),
    ],
  ];
  for (const [name, run] of cases) {
    test(`${name} leaves no scratch buffer behind`, async () => {
      tidy(() => void run()); // first call builds the pipelines
      await gpu.synchronize();
      const before = gpu.memory().buffers;
      for (let i = 0; i < 5; i++) tidy(() => void run());
      await gpu.synchronize();
      assert.is(gpu.memory().buffers, before);
    });
  }
}

test.run();
