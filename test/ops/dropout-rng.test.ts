// Dropout's counter-based generator (src/kernels/dropout.ts): Threefry-2x32-20 against the
// known-answer vectors of its authors' Random123 library (the ones JAX's tests use too);
// identical masks on the CPU and on WebGPU for the same seed, odd and large sizes; the
// drop fraction near the rate; no upload on WebGPU, forward or backward.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../src/autodiff/gradients.js';
import { cpu } from '../../src/device/cpu.js';
import { threefry2x32 } from '../../src/kernels/dropout.js';
import { dropout, sum } from '../../src/ops/index.js';
import { fromData, ones } from '../../src/tensor.js';
import { testWebGpu } from '../helpers/devices.js';

const gpu = await testWebGpu();

test('Threefry-2x32 (20 rounds) gives the Random123 known answers', () => {
  assert.equal(threefry2x32(0, 0, 0, 0), [0x6b200159, 0x99ba4efe]);
  assert.equal(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), [0x1cb996fc, 0xbb002be7]);
  assert.equal(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3), [0xc4923a9c, 0x483df7a0]);
});

test('dropout drops close to `rate` of a large tensor and keeps NaN', async () => {
  const n = 100_000;
  for (const rate of [0.1, 0.5, 0.9]) {
    const y = await dropout(ones([n]), rate, { seed: 42 }).data();
    const dropped = y.filter((v) => v === 0).length;
    const sigma = Math.sqrt(n * rate * (1 - rate));
    assert.ok(Math.abs(dropped - n * rate) < 5 * sigma, `rate ${rate}: ${dropped} of ${n} dropped`);
    assert.ok(y.every((v) => v === 0 || v === Math.fround(1 / (1 - rate))));
  }
  const withNaN = await dropout(fromData(new Float32Array(64).fill(NaN), [64], cpu), 0.5, { seed: 1 }).data();
  assert.ok(withNaN.every(Number.isNaN), 'a dropped NaN is NaN (x times 0)');
});

if (gpu) {
  test('the same seed gives the same mask on the CPU and on WebGPU', async () => {
    for (const n of [1, 3, 257, 100_003]) {
      const data = Float32Array.from({ length: n }, (_, i) => (i % 7) - 3.5);
      for (const [rate, seed] of [[0.5, 1], [0.1, 0xdeadbeef], [0.75, 123456]] as const) {
        const onCpu = await dropout(fromData(data, [n], cpu), rate, { seed }).data();
        const onGpu = await dropout(fromData(data, [n], gpu), rate, { seed }).data();
        assert.equal(Array.from(onGpu), Array.from(onCpu), `n=${n} rate=${rate} seed=${seed}`);
      }
    }
  });

  test('dropout uploads nothing on WebGPU, and its gradient is the same mask', async () => {
    const x = fromData(Float32Array.from({ length: 1000 }, (_, i) => i / 100 - 5), [1000], gpu);
    const before = gpu.counters.uploads;
    const y = dropout(x, 0.3, { seed: 9 });
    assert.is(gpu.counters.uploads - before, 0);
    const [g] = grad((t) => sum(dropout(t, 0.3, { seed: 9 })))(x);
    assert.is(gpu.counters.uploads - before, 1, 'only the backward seed of ones');
    const mask = await dropout(ones([1000], { device: gpu }), 0.3, { seed: 9 }).data();
    assert.equal(Array.from(await g!.data()), Array.from(mask), 'dx = mask / (1 - rate)');
    const yv = await y.data();
    const xv = await x.data();
    for (let i = 0; i < 1000; i++) assert.is(yv[i], Math.fround(xv[i]! * mask[i]!), `y[${i}]`);
  });
}

test.run();
