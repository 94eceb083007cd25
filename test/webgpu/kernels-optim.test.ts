// The fused optimizer kernels (src/kernels/optim.ts) held to the optimizers' composite math
// (sgdUpdate, adamUpdate, rmspropUpdate in src/optim) on every device, over several steps,
// with weight decay, Nesterov, AdamW's decoupled decay, RMSProp's momentum and centering;
// and a learning-rate change reusing the pipeline (hyperparameters are uniforms). WebGPU
// cases run only with an adapter.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Device } from '../../src/device/device.js';
import type { WebGpuDevice } from '../../src/device/webgpu.js';
import { adamUpdateKernel, rmspropUpdateKernel, sgdUpdateKernel } from '../../src/kernels/optim.js';
import { kernelFor } from '../../src/kernels/kernel.js';
import { type RMSPropState, adamUpdate, rmspropUpdate, sgdUpdate } from '../../src/optim/index.js';
import { type Tensor, fromData } from '../../src/tensor.js';
import { testDevices } from '../helpers/devices.js';
import { assertClose } from '../helpers/assert.js';
import { normal } from './kernels-support.js';

const devices = await testDevices();
// an odd size (51 elements: one element per invocation) and one divisible by 4 spanning two
// workgroups of the vectorized kernels (4420 elements, as vec4s)
const SHAPES = [
  [3, 17],
  [65, 68],
];
const TOLERANCE = { atol: 1e-6, rtol: 1e-5 };
const copy = async (t: Tensor, device: Device) => fromData(await t.data(), t.shape, device);

for (const device of devices) {
  for (const SHAPE of SHAPES) {
    const size = `[${SHAPE}]`;
    for (const [momentum, nesterov, weightDecay] of [[0, false, 0], [0.9, false, 0], [0.9, true, 1e-2], [0.5, false, 0.1]] as const) {
      test(`${device.name}: fused SGD (momentum ${momentum}, nesterov ${nesterov}, decay ${weightDecay}) equals sgdUpdate over 3 steps ${size}`, async () => {
        let p = normal(SHAPE, device, 1);
        let b: Tensor | undefined = momentum > 0 ? normal(SHAPE, device, 2) : undefined;
        const fusedP = await copy(p, device);
        const fusedB = b ? await copy(b, device) : null;
        for (let step = 0; step < 3; step++) {
          const h = { learningRate: 0.1 / (step + 1), momentum, nesterov, weightDecay };
          const g = normal(SHAPE, device, 10 + step);
          const next = sgdUpdate(p, g, b, h);
          p = next.param;
          b = next.velocity;
          kernelFor(sgdUpdateKernel, device)(fusedP, g, fusedB, h);
        }
        assertClose(await fusedP.data(), await p.data(), TOLERANCE, 'parameter');
        if (b) assertClose(await fusedB!.data(), await b.data(), TOLERANCE, 'velocity');
      });
    }

    for (const [weightDecay, decoupled] of [[0, false], [0.01, false], [0.05, true]] as const) {
      test(`${device.name}: fused Adam (decay ${weightDecay}, decoupled ${decoupled}) equals adamUpdate over 3 steps ${size}`, async () => {
        let p = normal(SHAPE, device, 1);
        let m = normal(SHAPE, device, 2);
        let v = fromData((await normal(SHAPE, device, 3).data()).map((x) => x * x), SHAPE, device); // v ≥ 0
        const [fp, fm, fv] = [await copy(p, device), await copy(m, device), await copy(v, device)];
        for (let step = 1; step <= 3; step++) {
          const h = { learningRate: 1e-2 * step, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay, decoupled, step };
          const g = normal(SHAPE, device, 10 + step);
          ({ param: p, m, v } = adamUpdate(p, g, m, v, h));
          kernelFor(adamUpdateKernel, device)(fp, g, fm, fv, h);
        }
        assertClose(await fm.data(), await m.data(), TOLERANCE, 'm');
        assertClose(await fv.data(), await v.data(), TOLERANCE, 'v');
        assertClose(await fp.data(), await p.data(), { atol: 1e-5, rtol: 1e-4 }, 'parameter');
      });
    }

    for (const [momentum, centered] of [[0, false], [0.9, false], [0, true], [0.5, true]] as const) {
      test(`${device.name}: fused RMSProp (momentum ${momentum}, centered ${centered}) equals rmspropUpdate over 3 steps ${size}`, async () => {
        let p = normal(SHAPE, device, 1);
        let state: RMSPropState = {
          meanSquare: fromData((await normal(SHAPE, device, 2).data()).map((x) => x * x + 1), SHAPE, device), // s > ḡ²
          meanGradient: centered ? normal(SHAPE, device, 3) : undefined,
          velocity: momentum > 0 ? normal(SHAPE, device, 4) : undefined,
        };
        const fp = await copy(p, device);
        const slots = {
          meanSquare: await copy(state.meanSquare, device),
          meanGradient: state.meanGradient ? await copy(state.meanGradient, device) : null,
          velocity: state.velocity ? await copy(state.velocity, device) : null,
        };
        for (let step = 0; step < 3; step++) {
          const h = { learningRate: 1e-2 * (step + 1), rho: 0.9, epsilon: 1e-8, momentum, centered };
          const g = normal(SHAPE, device, 10 + step);
          ({ param: p, state } = rmspropUpdate(p, g, state, h));
          kernelFor(rmspropUpdateKernel, device)(fp, g, slots, h);
        }
        assertClose(await slots.meanSquare.data(), await state.meanSquare.data(), TOLERANCE, 'meanSquare');
        if (centered) assertClose(await slots.meanGradient!.data(), await state.meanGradient!.data(), TOLERANCE, 'meanGradient');
        if (momentum > 0) assertClose(await slots.velocity!.data(), await state.velocity!.data(), { atol: 1e-5, rtol: 1e-4 }, 'velocity');
        assertClose(await fp.data(), await p.data(), { atol: 1e-5, rtol: 1e-4 }, 'parameter');
      });
    }

    if (device.kind === 'webgpu' && SHAPE === SHAPES[0]) {
      test(`${device.name}: a new learning rate or step reuses the fused pipelines`, async () => {
        const gpu = device as WebGpuDevice;
        const [p, m, v, g] = [1, 2, 3, 4].map((seed) => normal(SHAPE, gpu, seed)) as [Tensor, Tensor, Tensor, Tensor];
        const h = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
        adamUpdateKernel.webgpu(p, g, m, v, h);
        sgdUpdateKernel.webgpu(p, g, m, { learningRate: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 });
        await p.data();
        const pipelines = gpu.poolStats().pipelines;
        adamUpdateKernel.webgpu(p, g, m, v, { ...h, learningRate: 0.05, step: 2 });
        sgdUpdateKernel.webgpu(p, g, m, { learningRate: 0.01, momentum: 0.5, nesterov: true, weightDecay: 0.1 });
        await p.data();
        assert.is(gpu.poolStats().pipelines, pipelines);
      });
    }
  }
}

test.run();
