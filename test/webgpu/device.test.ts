// The WebGPU device itself: upload/read round trips, zero-filled allocation, batching
// (one submit for many dispatches), the buffer pool's reuse after submit, pipelines
// cached by variant (not size), grid folding, the binding-size limit, error surfacing,
// and memory() accounting. Runs only where an adapter exists (see helpers/devices.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TensorLoopError } from '../../src/errors.js';
import { foldGrid } from '../../src/device/webgpu.js';
import { sizeClass } from '../../src/device/buffer-pool.js';
import { memory } from '../../src/index.js';
import * as ops from '../../src/ops/index.js';
import { type Tensor, tensor, zeros } from '../../src/tensor.js';
import { testWebGpu } from '../helpers/devices.js';

const gpu = await testWebGpu();

test('size classes round up by at most a quarter', () => {
  assert.is(sizeClass(1), 256);
  assert.is(sizeClass(256), 256);
  assert.is(sizeClass(257), 320);
  assert.is(sizeClass(1 << 20), 1 << 20);
  assert.is(sizeClass((1 << 20) + 1), 1.25 * (1 << 20));
  for (const n of [300, 5000, 123457, 9e6]) assert.ok(sizeClass(n) >= n && sizeClass(n) <= 1.25 * n + 256);
});

test('grids past the per-dimension limit fold into 2-D covering every workgroup', () => {
  assert.equal(foldGrid('k', 65535, 65535), [65535, 1, 1]);
  const [x, y] = foldGrid('k', 65536, 65535);
  assert.ok(x * y >= 65536 && x <= 65535 && y === 2 && x * y - 65536 < y);
  assert.throws(() => foldGrid('k', 65535 * 65535 + 1, 65535), /more than one dispatch/);
});

if (gpu) {
  test(`adapter is named [${gpu.name}]`, () => {
    assert.ok(gpu.name.startsWith('webgpu ('));
    assert.type(gpu.adapterInfo.description, 'string');
  });

  test('float32 and int32 round trip through upload and read', async () => {
    const f = new Float32Array([1.5, -2, 3.25, Number.NaN, -0, 1e-30, 3.4e38]);
    const back = await tensor(f, { device: gpu }).data();
    assert.equal(Array.from(back).map(String), Array.from(f).map(String));
    assert.is(back.buffer.byteLength, f.byteLength, 'the returned array owns exactly its bytes (no status words after them)');
    const i = new Int32Array([0, -1, 2147483647, -2147483648, 7]);
    assert.equal(Array.from(await tensor(i, { device: gpu }).data()), Array.from(i));
    assert.equal(Array.from(await tensor(new Float32Array(0), { device: gpu }).data()), []);
  });

  test('zeros are zero even in a reused pool buffer', async () => {
    const a = tensor(new Float32Array(1000).fill(7), { device: gpu });
    await a.data();
    a.dispose();
    const z = zeros([1000], { device: gpu });
    assert.ok((await z.data()).every((v) => v === 0));
    z.dispose();
  });

  test('many dispatches share a submit; a read submits the batch', async () => {
    const before = { ...gpu.counters };
    let x = tensor([1, 2, 3], { device: gpu });
    const made = [x];
    for (let k = 0; k < 10; k++) made.push((x = ops.add(x, 1)));
    assert.is(gpu.counters.dispatches - before.dispatches, 10);
    assert.is(gpu.counters.submits - before.submits, 0, 'nothing submitted before the read');
    assert.equal(Array.from(await x.data()), [11, 12, 13]);
    assert.is(gpu.counters.submits - before.submits, 1);
    made.forEach((t) => t.dispose());
  });

  test('a buffer freed while its batch is unsubmitted is not reused before the submit', async () => {
    const a = tensor(new Float32Array(64).fill(1), { device: gpu });
    await a.data(); // a is uploaded and nothing is pending
    const b = ops.mul(a, 2); // recorded, reads a
    a.dispose(); // freed while b's dispatch is unsubmitted
    const c = tensor(new Float32Array(64).fill(100), { device: gpu }); // must not land in a's buffer
    assert.ok((await b.data()).every((v) => v === 2), 'b read a after c was uploaded');
    assert.ok((await c.data()).every((v) => v === 100));
    b.dispose();
    c.dispose();
  });

  test('pipelines are cached per variant, not per size', () => {
    const sizes = [1, 3, 17, 33, 127, 1000];
    // warm: both variants' pipelines exist (sizes divisible by 4 run vectorized)
    for (const warm of [[1], [1, 2, 3, 4]]) ops.add(tensor(warm, { device: gpu }), 1).dispose();
    const before = gpu.poolStats().pipelines;
    for (const n of sizes) {
      const x = tensor(new Float32Array(n), { device: gpu });
      ops.add(x, 1).dispose();
      x.dispose();
    }
    assert.is(gpu.poolStats().pipelines, before);
  });

  test('memory() counts live tensors and bytes; dispose returns them', async () => {
    const before = gpu.memory();
    const x = tensor(new Float32Array(250), { device: gpu });
    const y = ops.exp(x);
    assert.is(gpu.memory().buffers - before.buffers, 2);
    assert.is(gpu.memory().bytes - before.bytes, 2000);
    assert.ok((memory().devices[gpu.name]?.tensors ?? 0) >= 2);
    await y.data();
    x.dispose();
    y.dispose();
    assert.equal(gpu.memory(), before);
  });

  test('a tensor over the binding-size limit is a clear error', () => {
    const limit = gpu.limits.maxStorageBufferBindingSize;
    const elements = Math.floor(limit / 4) + 1;
    assert.throws(
      () => zeros([elements], { device: gpu }),
      (e: Error) => e instanceof TensorLoopError && /maxStorageBufferBindingSize/.test(e.message),
    );
  });

  test('too many new bind groups without an event-loop turn is a clear error, not a Dawn crash', async () => {
    await new Promise(setImmediate); // start from a fresh turn
    const x = tensor([1, 2, 3], { device: gpu });
    const kept: Tensor[] = []; // each output a new buffer, so each dispatch a new bind group
    let thrown: unknown;
    try {
      for (let i = 0; i < 20_000; i++) kept.push(ops.neg(x));
    } catch (error) {
      thrown = error;
    }
    for (const t of kept) t.dispose();
    assert.ok(thrown instanceof TensorLoopError && /without Node's event loop turning/.test(thrown.message), String(thrown));
    await new Promise(setImmediate); // one turn resets the count
    const y = ops.neg(x);
    assert.equal(Array.from(await y.data()), [-1, -2, -3]);
    x.dispose();
    y.dispose();
  });

  test('no validation error escapes a run of ops (error scope)', async () => {
    gpu.device.pushErrorScope('validation');
    const x = tensor([[1, 2, 3], [4, 5, 6]], { device: gpu });
    const y = ops.sum(ops.mul(ops.transpose(x), ops.relu(ops.transpose(x))), 0);
    await y.data();
    const error = await gpu.device.popErrorScope();
    assert.is(error, null);
    x.dispose();
    y.dispose();
  });
}

test('a broken kernel and a disposed device surface as TensorLoopError', async () => {
  if (!gpu) return;
  const { requestWebGpuDevice } = await import('../../src/device/webgpu.js');
  const own = await requestWebGpuDevice();
  const out = own.empty('float32', 4);
  own.dispatch({ key: 'broken', wgsl: 'this is not WGSL', outputs: [out], workgroups: 1 });
  let message = '';
  await own.read(out, 'float32', 4).catch((e: Error) => (message = e instanceof TensorLoopError ? e.message : `not a TensorLoopError: ${e}`));
  assert.match(message, /broken/);
  assert.throws(() => own.upload(new Float32Array(1)), (e: Error) => e instanceof TensorLoopError, 'a failed device refuses work');
  own.dispose();
  await own.read(out, 'float32', 4).then(
    () => assert.unreachable('read after dispose'),
    (e: Error) => assert.instance(e, TensorLoopError),
  );
});

test.run();
