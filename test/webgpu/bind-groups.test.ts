// Bind groups are reused (src/device/bind-groups.ts): repeated dispatches over the same
// buffers make no new ones, uniforms still reach each dispatch through the ring's dynamic
// offset, a destroyed buffer's bind groups are dropped, and on Linux a long run of
// dispatches in one event-loop turn keeps the process's memory mappings flat (lavapipe maps
// memory per live descriptor set; one new bind group per dispatch crossed Linux's limit).

import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import { globals } from 'webgpu';

const { GPUBufferUsage, GPUShaderStage } = globals as { GPUBufferUsage: typeof globalThis.GPUBufferUsage; GPUShaderStage: typeof globalThis.GPUShaderStage };
import * as assert from 'uvu/assert';
import { BindGroupCache } from '../../src/device/bind-groups.js';
import * as ops from '../../src/ops/index.js';
import { tensor } from '../../src/tensor.js';
import { testWebGpu } from '../helpers/devices.js';

const gpu = await testWebGpu();

/** Memory mappings backed by a memfd (lavapipe's descriptor-set memory), or null off Linux. */
function memfdMappings(): number | null {
  try {
    return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.includes('memfd')).length;
  } catch {
    return null;
  }
}

if (gpu) {
  test('repeated dispatches over the same buffers reuse their bind groups, each with its own uniforms', async () => {
    const x = tensor([-2, -1, 0.5, 3], { device: gpu });
    const step = async (alpha: number) => {
      const y = ops.leakyRelu(x, alpha); // alpha travels in the uniforms
      const values = Array.from(await y.data());
      y.dispose();
      return values;
    };
    await step(0.5); // the output buffer now comes back from the pool every time,
    await step(0.5); // and this second sighting of the binding caches it
    const before = gpu.bindGroupCounters;
    for (const alpha of [0.1, 0.2, 0.3, 0.4]) {
      assert.equal(await step(alpha), [-2 * alpha, -1 * alpha, 0.5, 3].map(Math.fround));
    }
    const after = gpu.bindGroupCounters;
    assert.is(after.created, before.created, 'no new bind group');
    assert.ok(after.reused - before.reused >= 4);
    x.dispose();
  });

  test('a bind group is cached once its key is seen twice, and a destroyed buffer takes its entries with it', () => {
    const device = gpu.device;
    const usage = GPUBufferUsage.STORAGE;
    const layout = device.createBindGroupLayout({ entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } }] });
    const cache = new BindGroupCache(device);
    const [a, b] = [device.createBuffer({ size: 256, usage }), device.createBuffer({ size: 256, usage })];
    const get = (buffer: GPUBuffer, size = 256) => cache.get(layout, 'o', [{ buffer, offset: 0, size }], 'test');
    get(a);
    assert.is(cache.size, 0, 'a key seen once is not cached (its bind group dies young)');
    const groupA = get(a);
    get(b);
    get(b);
    assert.is(cache.size, 2);
    assert.is(get(a), groupA, 'a hit returns the cached group');
    assert.equal(cache.counters, { created: 4, reused: 1 });
    cache.forget(a);
    a.destroy();
    assert.is(cache.size, 1);
    get(b);
    assert.is(cache.counters.created, 4, 'the other buffer keeps its group');
    get(b, 128);
    assert.is(cache.counters.created, 5, 'another size of the same buffer is another key');
    b.destroy();
  });

  test('20,000 dispatches in one event-loop turn keep the memory mappings flat', async () => {
    const x = tensor([1, 2, 3], { device: gpu });
    ops.neg(x).dispose(); // the pipeline exists
    await new Promise(setImmediate);
    const before = memfdMappings();
    for (let i = 0; i < 20_000; i++) ops.neg(x).dispose(); // no await: one turn
    const after = memfdMappings();
    const y = ops.neg(x);
    assert.equal(Array.from(await y.data()), [-1, -2, -3]);
    y.dispose();
    x.dispose();
    // a new bind group per dispatch added one mapping each (20,000) on lavapipe
    if (before !== null && after !== null) assert.ok(after - before < 200, `memfd mappings ${before} -> ${after}`);
  });
}

test.run();
