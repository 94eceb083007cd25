// Where PyTorch's optimizers have a rule ours must follow exactly, on every device:
// RMSProp's momentum and centered variants against trajectories transcribed from
// torch.optim.RMSprop (the values below come from its single-tensor loop written out in
// float32 NumPy, three steps), and Adam's bias correction counting each parameter's own
// steps (PyTorch's state['step']), kept through state()/loadState() and checkpoints.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Device } from '../../src/device/device.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.js';
import { keep } from '../../src/memory.js';
import { Module } from '../../src/nn/module.js';
import { Adam, AdamW, RMSProp, type Optimizer } from '../../src/optim/index.js';
import { type Tensor, tensor } from '../../src/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { testDevices } from '../helpers/devices.js';

const devices = await testDevices();

class Pair extends Module {
  w: Tensor;
  b: Tensor;
  constructor(device: Device) {
    super();
    this.w = keep(tensor([0.5, -1.5], { device }));
    this.b = keep(tensor([2], { device }));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

const GRADS = [
  { w: [0.1, -0.2], b: [1] },
  { w: [-0.3, 0.4], b: [0.5] },
  { w: [0.2, 0.2], b: [-2] },
];

const gradMap = (i: number, device: Device, only?: 'w' | 'b'): Map<string, Tensor> =>
  new Map((['w', 'b'] as const).filter((k) => !only || k === only).map((k) => [k, tensor(GRADS[i]![k], { device })]));

async function trajectory(model: Pair, opt: Optimizer): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < 3; i++) {
    opt.update(model, gradMap(i, model.w.device));
    out.push([...(await model.w.data()), ...(await model.b.data())]);
  }
  return out;
}

// torch.optim.RMSprop(lr=0.01, alpha=0.9, eps=1e-8, momentum, centered) from p = [0.5, -1.5, 2]
const PYTORCH_RMSPROP: [string, { momentum: number; centered: boolean }, number[][]][] = [
  ['momentum 0.9', { momentum: 0.9, centered: false }, [[0.4683772, -1.468377, 1.968377], [0.4700679, -1.468488, 1.925173], [0.4539873, -1.482184, 1.914474]]],
  ['centered', { momentum: 0, centered: true }, [[0.4666667, -1.466667, 1.966667], [0.4975126, -1.495598, 1.950479], [0.4799096, -1.50972, 1.978819]]],
  ['centered, momentum 0.9', { momentum: 0.9, centered: true }, [[0.4666667, -1.466667, 1.966667], [0.4675127, -1.465598, 1.920479], [0.450671, -1.478758, 1.90725]]],
];

for (const device of devices) {
  for (const [name, options, want] of PYTORCH_RMSPROP) {
    test(`${device.name}: RMSProp ${name} follows torch.optim.RMSprop over three steps`, async () => {
      const model = new Pair(device);
      const got = await trajectory(model, new RMSProp(model, { learningRate: 0.01, rho: 0.9, epsilon: 1e-8, ...options }));
      assertClose(got.flat(), want.flat(), { atol: 2e-6, rtol: 1e-6 });
    });
  }

  test(`${device.name}: RMSProp keeps the slots its options need, and they round-trip through state()`, async () => {
    const model = new Pair(device);
    const opt = new RMSProp(model, { momentum: 0.5, centered: true });
    opt.update(model, gradMap(0, device));
    const names = opt.state().tensors.map(([key]) => key.split('/')[0]);
    assert.equal([...new Set(names)].sort(), ['meanGradient', 'meanSquare', 'velocity']);
    const plain = new RMSProp(new Pair(device));
    assert.throws(() => plain.loadState(opt.state()), /unknown state tensor/);
  });

  test(`${device.name}: Adam corrects a parameter first updated at step 3 as at its step 1`, async () => {
    const late = new Pair(device);
    const opt = new Adam(late, { learningRate: 0.1 });
    opt.update(late, gradMap(0, device, 'w'));
    opt.update(late, gradMap(1, device, 'w'));
    opt.update(late, gradMap(2, device)); // b's first gradient, at the optimizer's step 3
    // bias-corrected: m̂ = g, v̂ = g², so the first step moves by η·g/(|g| + ε) = η·sign(g)
    assertClose(await late.b.data(), [2 + 0.1], { atol: 1e-6 });
    const state = opt.state();
    assert.is(state.step, 3);
    assert.equal(state.parameterSteps, { w: 3, b: 1 });
  });

  test(`${device.name}: AdamW's per-parameter steps survive state()/loadState() and a checkpoint`, async () => {
    const run = async (restore: 'none' | 'state' | 'checkpoint'): Promise<number[]> => {
      let model = new Pair(device);
      let opt = new AdamW(model, { learningRate: 0.1 });
      opt.update(model, gradMap(0, device, 'w'));
      opt.update(model, gradMap(1, device));
      if (restore === 'state') {
        const next = new Pair(device);
        next.w.assign(tensor(await model.w.data(), { device }));
        next.b.assign(tensor(await model.b.data(), { device }));
        const nextOpt = new AdamW(next, { learningRate: 0.1 });
        nextOpt.loadState(opt.state());
        [model, opt] = [next, nextOpt];
      } else if (restore === 'checkpoint') {
        const dir = await mkdtemp(join(tmpdir(), 'tensorloop-steps-'));
        try {
          await saveCheckpoint(join(dir, 'c.safetensors'), { model, optimizer: opt });
          const next = new Pair(device);
          const nextOpt = new AdamW(next, { learningRate: 0.1 });
          await loadCheckpoint(join(dir, 'c.safetensors'), { model: next, optimizer: nextOpt });
          assert.equal(nextOpt.state().parameterSteps, { w: 2, b: 1 });
          [model, opt] = [next, nextOpt];
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
      opt.update(model, gradMap(2, device));
      return [...(await model.w.data()), ...(await model.b.data())];
    };
    const straight = await run('none');
    assertClose(await run('state'), straight, { atol: 1e-7 });
    assertClose(await run('checkpoint'), straight, { atol: 1e-7 });
  });
}

test.run();
