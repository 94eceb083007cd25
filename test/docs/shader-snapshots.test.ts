// Every shader visible: TENSORLOOP_DEBUG=shaders prints each WGSL shader once, with its
// kernel name and variant, when its pipeline is first built; and the checked-in snapshots
// under docs/shaders/ are exactly what the generators write today (regenerate with
// `npm run shaders`). Both need a fresh WebGPU device: a pipeline built before is not
// built, nor reported, again.

import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requestWebGpuDevice } from '../../src/device/webgpu.js';
import { exp } from '../../src/ops/elementwise.js';
import { tensor } from '../../src/tensor.js';
import { SHADER_DIR, generateShaderSnapshots } from '../../scripts/shader-snapshots.js';
import { testWebGpu } from '../helpers/devices.js';

if (await testWebGpu()) {
  const device = await requestWebGpuDevice();
  process.once('beforeExit', () => device.dispose());

  test('TENSORLOOP_DEBUG=shaders prints a shader with its kernel and variant on its first build only', async () => {
    const printed: string[] = [];
    const log = console.log;
    const before = process.env.TENSORLOOP_DEBUG;
    console.log = (...args: unknown[]) => void printed.push(args.join(' '));
    process.env.TENSORLOOP_DEBUG = 'other,shaders';
    try {
      const x = tensor([1, 2, 3], { device });
      await exp(x).data();
      await exp(x).data();
    } finally {
      console.log = log;
      if (before === undefined) delete process.env.TENSORLOOP_DEBUG;
      else process.env.TENSORLOOP_DEBUG = before;
    }
    const shaders = printed.filter((line) => line.startsWith('// ---- WGSL of kernel unary, variant exp/f32'));
    assert.is(shaders.length, 1, printed.join('\n'));
    assert.match(shaders[0]!, /@compute @workgroup_size/);
  });

  test('docs/shaders holds exactly what the generators write (run `npm run shaders` after changing one)', async () => {
    const files = await generateShaderSnapshots(device);
    assert.ok(files.size >= 8, `only ${files.size} snapshot files generated`);
    const onDisk = readdirSync(SHADER_DIR).sort();
    assert.equal(onDisk, [...files.keys()].sort(), 'the snapshot file names');
    for (const [name, text] of files) assert.fixture(readFileSync(SHADER_DIR + name, 'utf8'), text, `${name} differs from its generator's output`);
  });
}

test.run();
