// The optimizers run one fused update op per parameter (src/ops/optimizer-updates.ts) on
// every device: the WGSL kernel on WebGPU, its CPU loop on the CPU. These tests hold the two
// devices together through the public Optimizer API: the same parameters after
// 3 steps, one dispatch per parameter, a learning-rate change without a new pipeline,
// state()/loadState() round trips (which share storage, so in-place writes must copy
// first), views of a parameter keeping their values, and flat memory over 50 steps.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpu } from '../../src/device/cpu.js';
import type { Device } from '../../src/device/device.js';
import { endScope, startScope } from '../../src/memory.js';
import { MLP } from '../../src/models/mlp.js';
import { Adam, AdamW, type Optimizer, RMSProp, SGD } from '../../src/optim/index.js';
import { type Tensor, fromData, liveTensorCount, randn } from '../../src/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { testWebGpu } from '../helpers/devices.js';

const gpu = await testWebGpu();
const TOLERANCE = { atol: 1e-6, rtol: 1e-5 };

const model = (device: Device) => new MLP({ inputSize: 5, hiddenSizes: [7], outputSize: 3, seed: 1, device });

/** The same gradients on any device: seeded normals shaped like each parameter. */
function gradients(m: MLP, step: number): Map<string, Tensor> {
  return new Map(m.namedParameters().map(([path, p], i) => [path, randn(p.shape, { seed: 100 * step + i, device: p.device })]));
}

async function parameters(m: MLP): Promise<Float32Array[]> {
  return Promise.all(m.namedParameters().map(([, p]) => p.data() as Promise<Float32Array>));
}

function assertSameParameters(a: Float32Array[], b: Float32Array[], what: string): void {
  a.forEach((values, i) => assertClose(values, b[i]!, TOLERANCE, `${what}, parameter ${i}`));
}

const OPTIMIZERS: [string, (m: MLP) => Optimizer][] = [
  ['SGD', (m) => new SGD(m, { learningRate: 0.1 })],
  ['SGD with decay', (m) => new SGD(m, { learningRate: 0.1, weightDecay: 0.01 })],
  ['SGD with momentum', (m) => new SGD(m, { learningRate: 0.1, momentum: 0.9 })],
  ['SGD with Nesterov momentum and decay', (m) => new SGD(m, { learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['Adam', (m) => new Adam(m, { learningRate: 0.01 })],
  ['Adam with L2 decay', (m) => new Adam(m, { learningRate: 0.01, weightDecay: 0.05 })],
  ['AdamW', (m) => new AdamW(m, { learningRate: 0.01, weightDecay: 0.05 })],
  ['RMSProp', (m) => new RMSProp(m, { learningRate: 0.01 })],
  ['RMSProp centered with momentum', (m) => new RMSProp(m, { learningRate: 0.01, momentum: 0.9, centered: true })],
];

if (gpu) {
  for (const [name, make] of OPTIMIZERS) {
    test(`webgpu: ${name} gives the CPU's parameters over 3 steps, one dispatch per parameter`, async () => {
      const [onCpu, onGpu] = [model(cpu), model(gpu)];
      const [optCpu, optGpu] = [make(onCpu), make(onGpu)];
      const count = onGpu.namedParameters().length;
      for (let step = 0; step < 3; step++) {
        optCpu.update(onCpu, gradients(onCpu, step));
        const grads = gradients(onGpu, step);
        const before = gpu.counters.dispatches;
        optGpu.update(onGpu, grads);
        assert.is(gpu.counters.dispatches - before, count, `dispatches of step ${step + 1}`);
      }
      assertSameParameters(await parameters(onGpu), await parameters(onCpu), name);
      for (const o of [optCpu, optGpu]) o.disposeState();
      for (const m of [onCpu, onGpu]) m.dispose();
    });
  }

  test('webgpu: a learning-rate change between steps takes effect without a new pipeline', async () => {
    for (const make of [(m: MLP) => new Adam(m, { learningRate: 0.1 }), (m: MLP) => new SGD(m, { learningRate: 0.1, momentum: 0.5 })]) {
      const [onCpu, onGpu] = [model(cpu), model(gpu)];
      const [optCpu, optGpu] = [make(onCpu), make(onGpu)];
      optCpu.update(onCpu, gradients(onCpu, 0));
      optGpu.update(onGpu, gradients(onGpu, 0));
      const afterFirst = await parameters(onGpu);
      const pipelines = gpu.poolStats().pipelines;
      for (const [step, rate] of [[1, 0.01], [2, 0.3]] as const) {
        optCpu.learningRate = rate;
        optGpu.learningRate = rate;
        optCpu.update(onCpu, gradients(onCpu, step));
        optGpu.update(onGpu, gradients(onGpu, step));
      }
      assertSameParameters(await parameters(onGpu), await parameters(onCpu), `${optGpu.constructor.name} with a schedule`);
      assert.is(gpu.poolStats().pipelines, pipelines, 'no pipeline compiled after the first step');
      // and the steps did move the parameters
      assert.ok((await parameters(onGpu)).some((p, i) => p.some((x, j) => x !== afterFirst[i]![j])));
      for (const o of [optCpu, optGpu]) o.disposeState();
      for (const m of [onCpu, onGpu]) m.dispose();
    }
  });

  test('webgpu: state() and loadState() continue a run exactly, though the state is shared and updated in place', async () => {
    for (const make of [(m: MLP) => new Adam(m, { learningRate: 0.01 }), (m: MLP) => new SGD(m, { learningRate: 0.1, momentum: 0.9 })]) {
      const a = model(gpu);
      const optA = make(a);
      for (const step of [0, 1]) optA.update(a, gradients(a, step));
      const b = model(gpu);
      const values = await parameters(a);
      b.namedParameters().forEach(([, p], i) => p.assign(fromData(values[i]!, p.shape, gpu)));
      const optB = make(b);
      optB.loadState(optA.state()); // B's slots share A's storage (views)
      assert.is(optB.step, 2);
      const savedA = await Promise.all(optA.state().tensors.map(([, t]) => t.data()));
      for (const step of [2, 3]) {
        optA.update(a, gradients(a, step));
        optB.update(b, gradients(b, step));
      }
      // the same kernels on the same inputs: bit-exact; A's in-place writes did not reach B
      assert.equal(await parameters(b), await parameters(a));
      assert.equal(
        await Promise.all(optB.state().tensors.map(([, t]) => t.data())),
        await Promise.all(optA.state().tensors.map(([, t]) => t.data())),
      );
      // a second B restored from the values saved after step 2 agrees too
      const c = model(gpu);
      const optC = make(c);
      for (const step of [0, 1]) optC.update(c, gradients(c, step));
      assert.equal(await Promise.all(optC.state().tensors.map(([, t]) => t.data())), savedA);
      for (const o of [optA, optB, optC]) o.disposeState();
      for (const m of [a, b, c]) m.dispose();
    }
  });

  test('webgpu: a view of a parameter, and state handed out by state(), keep their values through an update', async () => {
    const m = model(gpu);
    const opt = new Adam(m, { learningRate: 0.1 });
    opt.update(m, gradients(m, 0));
    const [, weight] = m.namedParameters()[0]!;
    const view = weight.view([weight.size]);
    const before = await view.data();
    const handedOut = opt.state().tensors[0]![1];
    const stateBefore = await handedOut.data();
    opt.update(m, gradients(m, 1));
    assert.equal(await view.data(), before, 'the view still sees the old values');
    assert.ok((await weight.data()).some((x, i) => x !== before[i]), 'the parameter moved');
    assert.ok(handedOut.isDisposed, 'state handed out is disposed by the next update, as on the CPU');
    assert.ok((await opt.state().tensors[0]![1].data()).some((x, i) => x !== stateBefore[i]), 'the state moved');
    view.dispose();
    opt.disposeState();
    m.dispose();
  });

  test('webgpu: live tensors and buffers stay flat over 50 fused steps', async () => {
    for (const make of [(m: MLP) => new Adam(m), (m: MLP) => new AdamW(m), (m: MLP) => new SGD(m, { momentum: 0.9 }), (m: MLP) => new SGD(m)]) {
      const m = model(gpu);
      const opt = make(m);
      let baseline = { tensors: -1, buffers: -1 };
      for (let step = 0; step < 50; step++) {
        startScope();
        opt.update(m, gradients(m, step % 3));
        endScope();
        const now = { tensors: liveTensorCount(gpu), buffers: gpu.memory().buffers };
        if (step === 0) baseline = now;
        else assert.equal(now, baseline, `${opt.constructor.name}, step ${step + 1}`);
      }
      await m.namedParameters()[0]![1].data(); // the work ran without a device error
      opt.disposeState();
      m.dispose();
    }
  });
}

test.run();
