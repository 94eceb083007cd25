// The fused bias + activation kernels and the column sum (sums over leading axes) on WebGPU
// against the CPU references: odd, vec4-aligned and large shapes, one- and two-pass column
// sums, and the gradients of biasActivation. Runs only with an adapter.

import { test } from 'uvu';
import { biasActivation, sum } from '../../src/ops/index.js';
import type { Shape } from '../../src/tensor.js';
import { testWebGpu } from '../helpers/devices.js';
import { assertGradientsMatchCpu, assertMatchesCpu } from './kernels-support.js';

const gpu = await testWebGpu();

if (gpu) {
  const shapes: [Shape, string][] = [
    [[1001, 7], 'odd'],
    [[128, 512], 'MLP hidden layer'],
    [[128, 28, 28, 6], 'LeNet conv1 (6 channels)'],
    [[64, 10, 10, 16], 'LeNet conv2 (16 channels)'],
    [[300, 120], 'vec4 columns not dividing the workgroup (the column wraps between vec4s)'],
    [[9, 2052], 'rows of more vec4s than a workgroup'],
  ];
  for (const [shape, what] of shapes) {
    const bias: Shape = [shape[shape.length - 1]!];
    for (const activation of ['identity', 'relu'] as const) {
      test(`biasActivation ${activation} matches the CPU, ${what} [${shape}]`, async () => {
        await assertMatchesCpu(gpu, [shape, bias], (x, b) => biasActivation(x, b, activation), { atol: 0, rtol: 0 }, what);
      });
    }
    test(`biasActivation relu gradients match the CPU, ${what} [${shape}]`, async () => {
      await assertGradientsMatchCpu(gpu, [shape, bias], (x, b) => biasActivation(x, b, 'relu'), { atol: 1e-3, rtol: 1e-4 }, what);
    });
  }

  const columnCases: [Shape, number[], string][] = [
    [[100352, 6], [0], 'two passes, scalar columns'],
    [[128, 28, 28, 16], [0, 1, 2], 'two passes, vec4 columns'],
    [[128, 512], [0], 'few rows, many vec4 columns'],
    [[3, 100003], [0], 'few rows, many odd columns'],
    [[5, 7, 9], [0, 1], 'small odd'],
  ];
  for (const [shape, axes, what] of columnCases) {
    test(`sum over leading axes matches the CPU, ${what} [${shape}]`, async () => {
      await assertMatchesCpu(gpu, [shape], (x) => sum(x, axes), { atol: 2e-3, rtol: 1e-4 }, what);
    });
  }
}

test.run();
