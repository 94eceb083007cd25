// The CPU device's WebAssembly kernels where memory cannot be shared (a browser page that is
// not cross-origin isolated): no heap, so tensors are plain arrays, kernels copy their
// operands into the runtime's own unshared memory (which detaches its views when it grows)
// and copy results out, on one thread. TENSORLOOP_WASM_HEAP=0 sets that up in Node; the
// kernel suite (wasm-kernels.test.ts) runs again under it in a process of its own.

import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('the WebAssembly kernel suite passes without a shared heap (copies through unshared scratch, one thread)', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test/ops', '^wasm-kernels\\.test\\.ts$'], {
    encoding: 'utf8',
    env: { ...process.env, TENSORLOOP_WASM_HEAP: '0' },
  });
  const output = `${run.stdout}\n${run.stderr}`;
  assert.is(run.status, 0, output);
  assert.match(output, /Passed:\s+[1-9]/);
  assert.not.match(output, /Failed:\s+[1-9]/, output);
});

test('without a shared heap, CPU tensors are plain arrays and the runtime does not keep them', () => {
  const script = `
    import { cpu } from './src/device/cpu.ts';
    import { wasmKernels } from './src/kernels/wasm/module.ts';
    const s = cpu.allocate('float32', 100000);
    const rt = wasmKernels();
    console.log(JSON.stringify({ address: s.address, shared: s.data.buffer instanceof SharedArrayBuffer, tensorsInMemory: rt.tensorsInMemory }));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, TENSORLOOP_WASM_HEAP: '0' } });
  assert.is(run.status, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout.trim().split('\n').at(-1)!), { address: -1, shared: false, tensorsInMemory: false });
});

test.run();
