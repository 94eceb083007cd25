// The kernel profiler (src/device/profiler.ts): off by default and then records nothing;
// on, it counts each kernel call by family with its host time, and on WebGPU (with
// 'timestamp-query') each dispatch's GPU time, without changing any result.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { profiler } from '../../src/device/profiler.js';
import type { WebGpuDevice } from '../../src/device/webgpu.js';
import { add, matmul, relu } from '../../src/ops/index.js';
import { tensor } from '../../src/tensor.js';
import { testDevices } from '../helpers/devices.js';

for (const device of await testDevices()) {
  const a = () => tensor([1, -2, 3, -4], { shape: [2, 2], device });

  test(`${device.kind}: the profiler is off by default and records nothing`, async () => {
    assert.is(profiler.enabled, false);
    profiler.reset();
    await relu(a()).data();
    assert.is(profiler.host.size + profiler.gpu.size, 0);
  });

  test(`${device.kind}: on, each kernel call is counted under its family, results unchanged`, async () => {
    profiler.reset();
    profiler.enabled = true;
    try {
      const y = add(relu(a()), matmul(a(), a()));
      const values = await y.data();
      assert.equal([...values], [1 - 5, 0 + 6, 3 - 9, 0 + 10]); // relu(a) + a·a
      assert.is(profiler.host.get('unary/relu')?.calls, 1);
      assert.is(profiler.host.get('binary/add')?.calls, 1);
      assert.is(profiler.host.get('matmul')?.calls, 1);
      for (const stats of profiler.host.values()) assert.ok(stats.milliseconds >= 0);
      if (device.kind === 'webgpu' && (device as WebGpuDevice).features.has('timestamp-query')) {
        await (device as WebGpuDevice).synchronize();
        assert.is(profiler.gpu.get('unary/relu')?.calls, 1, 'one timed relu dispatch');
        assert.is(profiler.gpu.get('binary/add')?.calls, 1, 'one timed add dispatch');
        for (const stats of profiler.gpu.values()) assert.ok(stats.milliseconds >= 0 && stats.milliseconds < 10_000);
      }
    } finally {
      profiler.enabled = false;
      profiler.reset();
    }
  });
}

test.run();
