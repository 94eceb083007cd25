// The fused softmax cross-entropy on WebGPU against the CPU reference: int labels and
// probability rows, label smoothing, odd row and class counts, large logits (the max
// shift), and gradients through softmaxCrossEntropy. Runs only with an adapter.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TensorLoopError } from '../../src/errors.js';
import { cpu } from '../../src/device/cpu.js';
import type { Device } from '../../src/device/device.js';
import { cpuData } from '../../src/kernels/kernel.js';
import { softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from '../../src/kernels/softmax-cross-entropy.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { softmax } from '../../src/ops/index.js';
import { type Tensor, fromData } from '../../src/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { testWebGpu } from '../helpers/devices.js';
import { assertGradientsMatchCpu, normal } from './kernels-support.js';

const gpu = await testWebGpu();
const TOLERANCE = { atol: 2e-5, rtol: 1e-4 };

/** The same labels on any device: int classes, or probability rows made on the CPU. */
function labelsFor(rows: number, classes: number, device: Device, probabilities: boolean): Tensor {
  if (!probabilities) return fromData(Int32Array.from({ length: rows }, (_, n) => (n * 7 + 3) % classes), [rows], device);
  const p = softmax(normal([rows, classes], cpu, 5));
  return fromData(cpuData(p), p.shape, device);
}

if (gpu) {
  for (const probabilities of [false, true]) {
    test(`softmax cross-entropy with ${probabilities ? 'probability rows' : 'int32 labels'} and its gradient match the CPU`, async () => {
      for (const [rows, classes, smoothing, scale] of [[1, 1, 0, 1], [3, 3, 0.1, 1], [17, 33, 0, 30], [33, 127, 0.2, 1], [5, 17, 0, 1e3]] as const) {
        const run = async (device: Device) => {
          const logits = fromData((await normal([rows, classes], device, 1).data()).map((x) => x * scale), [rows, classes], device);
          const labels = labelsFor(rows, classes, device, probabilities);
          const info = { rows, classes, labelSmoothing: smoothing };
          const dy = normal([rows], device, 2);
          const kernels = device === cpu ? ([softmaxCrossEntropyKernel.cpu, softmaxCrossEntropyGradKernel.cpu] as const) : ([softmaxCrossEntropyKernel.webgpu, softmaxCrossEntropyGradKernel.webgpu] as const);
          return [await kernels[0](logits, labels, info).data(), await kernels[1](logits, labels, dy, info).data()];
        };
        const [[lossGpu, gradGpu], [lossCpu, gradCpu]] = [await run(gpu), await run(cpu)];
        const what = `${rows}×${classes} smoothing ${smoothing} scale ${scale}`;
        assertClose(lossGpu!, lossCpu!, { atol: 1e-4 * scale, rtol: 1e-4 }, `loss ${what}`);
        assertClose(gradGpu!, gradCpu!, TOLERANCE, `gradient ${what}`);
      }
    });
  }

  test('an int label out of range on WebGPU raises a TensorLoopError at the next read', async () => {
    const logits = normal([3, 5], gpu, 1);
    const labels = fromData(Int32Array.from([1, 7, 0]), [3], gpu);
    const loss = softmaxCrossEntropyKernel.webgpu(logits, labels, { rows: 3, classes: 5, labelSmoothing: 0 });
    try {
      await loss.data();
      assert.unreachable('expected an error');
    } catch (error) {
      assert.instance(error, TensorLoopError);
      assert.match((error as Error).message, /softmaxCrossEntropy: label 7 is out of range \[0, 5\)/);
    }
    assert.ok((await normal([2], gpu, 3).data()).length === 2, 'the device still works after the error');
  });

  test('gradients through softmaxCrossEntropy on WebGPU equal the CPU', async () => {
    await assertGradientsMatchCpu(gpu, [[6, 11]], (x) => softmaxCrossEntropy(x!, labelsFor(6, 11, x!.device, false), { labelSmoothing: 0.1 }), TOLERANCE, 'int labels');
    await assertGradientsMatchCpu(gpu, [[6, 11]], (x) => softmaxCrossEntropy(x!, labelsFor(6, 11, x!.device, true)), TOLERANCE, 'probabilities');
  });
}

test.run();
