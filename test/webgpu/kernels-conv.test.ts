// The WebGPU convolutions (implicit GEMM, every schedule the adapter runs; matmul's test says
// when the subgroup one cannot run) and pooling against the CPU
// references: odd sizes, strides, dilations, padding, windows hanging over the edge, and
// gradients through conv2d / maxPool2d / avgPool2d. Runs only with an adapter.

import { test } from 'uvu';
import { GEMM_VARIANTS, hasSubgroupSchedule } from '../../src/kernels/gemm.js';
import {
  type Conv2DInfo,
  conv2dBackpropFilterKernel,
  conv2dBackpropFilterWebgpu,
  conv2dBackpropInputKernel,
  conv2dBackpropInputWebgpu,
  conv2dKernel,
  conv2dWebgpu,
} from '../../src/kernels/conv.js';
import { pool2dBackwardKernel, pool2dKernel } from '../../src/kernels/pool.js';
import { avgPool2d, conv2d, conv2dGeometry, maxPool2d } from '../../src/ops/index.js';
import type { Tensor } from '../../src/tensor.js';
import { testWebGpu } from '../helpers/devices.js';
import { assertGradientsMatchCpu, assertMatchesCpu } from './kernels-support.js';

const gpu = await testWebGpu();

/** [batch, inH, inW, inC, outC, kH, kW, stride, dilation, padding] */
type Case = [number, number, number, number, number, number, number, number, number, 'same' | 'valid' | number];
const CONV_CASES: Case[] = [
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 'valid'],
  [2, 7, 5, 3, 4, 3, 3, 1, 1, 'same'],
  [1, 9, 9, 2, 3, 3, 2, 2, 1, 'valid'],
  [3, 8, 8, 5, 17, 3, 3, 2, 2, 2],
  [1, 17, 3, 1, 33, 5, 1, 3, 1, 'same'],
  [2, 6, 6, 33, 3, 2, 2, 2, 1, 'valid'],
  [8, 16, 16, 3, 5, 3, 3, 1, 1, 'same'], // filter gradient sums over K = 2048: split-K
  [2, 9, 8, 3, 4, 3, 3, 1, 2, 'same'], // stride 1 with dilation: the transposed read steps by 2
  [1, 6, 7, 2, 3, 3, 2, 1, 1, 3], // stride 1, padding wider than the window
  [128, 14, 14, 6, 16, 5, 5, 1, 1, 'valid'], // LeNet's second convolution
];

const geometry = ([batch, inH, inW, inC, outC, kH, kW, stride, dilation, padding]: Case): Conv2DInfo =>
  conv2dGeometry('test', [batch, inH, inW, inC], kH, kW, outC, stride, padding, dilation);
const label = (g: Conv2DInfo) => `x [${g.batch},${g.inH},${g.inW},${g.inC}] w ${g.kH}×${g.kW}→${g.outC} stride ${g.strideH} dilation ${g.dilationH} pad ${g.padTop}`;
const TOLERANCE = { atol: 1e-4, rtol: 1e-4 };

if (gpu) {
  for (const variant of GEMM_VARIANTS.filter((v) => v !== 'subgroup' || hasSubgroupSchedule(gpu))) {
    test(`${variant}: conv2d and both its gradients match the CPU`, async () => {
      for (const c of CONV_CASES) {
        const g = geometry(c);
        const x = [g.batch, g.inH, g.inW, g.inC];
        const w = [g.kH, g.kW, g.inC, g.outC];
        const y = [g.batch, g.outH, g.outW, g.outC];
        const onGpu = (t: Tensor) => t.device === gpu;
        await assertMatchesCpu(gpu, [x, w], (a, b) => (onGpu(a!) ? conv2dWebgpu(a!, b!, g, variant) : conv2dKernel.cpu(a!, b!, g)), TOLERANCE, `conv2d ${label(g)}`);
        await assertMatchesCpu(gpu, [y, w], (a, b) => (onGpu(a!) ? conv2dBackpropInputWebgpu(a!, b!, g, variant) : conv2dBackpropInputKernel.cpu(a!, b!, g)), TOLERANCE, `input gradient ${label(g)}`);
        // the filter gradient sums batch·outH·outW products (12,800 for LeNet's conv2): float32
        // partial sums of that length drift ~1e-4·√(K/1000) from the float64 reference
        const filterK = g.batch * g.outH * g.outW;
        const filterTolerance = { atol: TOLERANCE.atol * Math.max(1, Math.sqrt(filterK / 1000)), rtol: TOLERANCE.rtol };
        await assertMatchesCpu(gpu, [x, y], (a, b) => (onGpu(a!) ? conv2dBackpropFilterWebgpu(a!, b!, g, variant) : conv2dBackpropFilterKernel.cpu(a!, b!, g)), filterTolerance, `filter gradient ${label(g)}`);
      }
    });
  }

  test('conv2d gradients through the op on WebGPU equal the CPU', async () => {
    await assertGradientsMatchCpu(gpu, [[2, 7, 6, 3], [3, 3, 3, 5]], (x, w) => conv2d(x!, w!, { strides: 2, padding: 'same' }), TOLERANCE, 'conv2d same/2');
    await assertGradientsMatchCpu(gpu, [[1, 9, 9, 2], [2, 2, 2, 3]], (x, w) => conv2d(x!, w!, { dilations: 2 }), TOLERANCE, 'conv2d dilated');
  });

  // [batch, inH, inW, C, window, stride, padding]
  const POOL_CASES: [number, number, number, number, number, number, 'same' | 'valid'][] = [
    [1, 1, 1, 1, 1, 1, 'valid'],
    [2, 7, 5, 3, 2, 2, 'valid'],
    [1, 9, 9, 2, 3, 2, 'same'],
    [3, 8, 8, 17, 3, 1, 'same'],
    [1, 33, 3, 5, 3, 3, 'same'],
    [1, 10, 11, 4, 2, 3, 'valid'], // gaps between windows
    [2, 7, 9, 6, 2, 2, 'same'], // windows cover the input, hanging over its end
    [128, 28, 28, 6, 2, 2, 'valid'], // LeNet's first pooling
  ];
  for (const op of ['max', 'avg'] as const) {
    test(`${op} pooling and its gradient match the CPU`, async () => {
      for (const [batch, inH, inW, C, window, stride, padding] of POOL_CASES) {
        const g = conv2dGeometry('test', [batch, inH, inW, C], window, window, C, stride, padding, 1);
        const x = [batch, inH, inW, C];
        const y = [batch, g.outH, g.outW, C];
        const what = `${op} pool ${label(g)}`;
        await assertMatchesCpu(gpu, [x], (a) => (a!.device === gpu ? pool2dKernel.webgpu!(op, a!, g) : pool2dKernel.cpu(op, a!, g)), TOLERANCE, what);
        await assertMatchesCpu(gpu, [y, x], (dy, a) => (a!.device === gpu ? pool2dBackwardKernel.webgpu!(op, dy!, a!, g) : pool2dBackwardKernel.cpu(op, dy!, a!, g)), TOLERANCE, `${what} gradient`);
      }
    });
  }

  test('pooling gradients through the ops on WebGPU equal the CPU', async () => {
    await assertGradientsMatchCpu(gpu, [[2, 6, 7, 3]], (x) => maxPool2d(x!, { windowSize: 3, strides: 2, padding: 'same' }), TOLERANCE, 'maxPool2d');
    await assertGradientsMatchCpu(gpu, [[2, 6, 7, 3]], (x) => avgPool2d(x!, { windowSize: 2 }), TOLERANCE, 'avgPool2d');
  });
}

test.run();
