// The end-to-end check of the engine: a 2-8-1 MLP learns XOR with valueAndGrad and a
// hand-written SGD step (p ← p − η·g), everything on one device, memory flat.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { valueAndGrad } from '../../src/autodiff/gradients.js';
import { keep, tidy } from '../../src/memory.js';
import { add, matmul, mean, mul, sigmoid, square, sub, tanh } from '../../src/ops/index.js';
import { type Tensor, liveTensorCount, randn, tensor, zeros } from '../../src/tensor.js';
import { eventLoopTurn } from '../../src/platform.js';
import { testDevices } from './support.js';

const LEARNING_RATE = 0.5;
const STEPS = 600;

for (const device of await testDevices()) {
  test(`a 2-8-1 MLP learns XOR with valueAndGrad and SGD [${device.name}]`, async () => {
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]], { device });
    const y = tensor([[0], [1], [1], [0]], { device });
    let params: Tensor[] = [
      randn([2, 8], { seed: 1, device, std: 1 }),
      zeros([8], { device }),
      randn([8, 1], { seed: 2, device, std: 1 }),
      zeros([1], { device }),
    ];
    const predict = ([w1, b1, w2, b2]: Tensor[], x: Tensor): Tensor => sigmoid(add(matmul(tanh(add(matmul(x, w1!), b1!)), w2!), b2!));
    const loss = (...p: Tensor[]): Tensor => mean(square(sub(predict(p, x), y)));
    const step = valueAndGrad(loss);

    const liveAtStart = liveTensorCount(device);
    let first = NaN;
    let last = NaN;
    for (let i = 0; i < STEPS; i++) {
      const [value, grads] = step(...params);
      if (i === 0) first = await value.item();
      if (i === STEPS - 1) last = await value.item();
      // a long loop lets the event loop turn now and then, as WebGPU asks (about 30 dispatches a step)
      else if (i % 100 === 99) await eventLoopTurn();
      const next = tidy(() => params.map((p, k) => keep(sub(p, mul(grads[k]!, LEARNING_RATE)))));
      [value, ...grads, ...params].forEach((t) => t.dispose());
      params = next;
    }
    // no growth: the count may only fall, as the garbage collector's safety net can free
    // tensors that earlier suites dropped without dispose() while this test awaits
    assert.ok(liveTensorCount(device) <= liveAtStart, `training leaves no tensors behind (${liveAtStart} → ${liveTensorCount(device)})`);
    assert.ok(last < first / 10, `loss fell from ${first} to ${last}`);
    assert.ok(last < 0.02, `final loss ${last}`);
    const out = (await predict(params, x).data()) as Float32Array;
    assert.equal(Array.from(out, (v) => (v > 0.5 ? 1 : 0)), [0, 1, 1, 0], `predictions ${Array.from(out)}`);
  });
}

test.run();
