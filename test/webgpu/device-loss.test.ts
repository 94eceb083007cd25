// After the shared WebGPU device is lost (a driver reset; here GPUDevice.destroy(), which
// resolves Dawn's `lost` promise as a reset would), Device.default() makes a new device
// instead of handing back the lost one; tensors on the lost device throw a TensorLoopError
// saying so. Runs only where an adapter exists.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WebGpuDevice } from '../../src/device/webgpu.js';
import { Device, TensorLoopError, add, tensor } from '../../src/index.js';
import { testWebGpu } from '../helpers/devices.js';

if (await testWebGpu()) {
  test('Device.default() after device loss: a new, working device; the lost one is disposed', async () => {
    const lost = (await Device.default()) as WebGpuDevice;
    assert.is(lost.kind, 'webgpu');
    assert.is(await Device.default(), lost, 'shared while it works');
    const old = tensor([1, 2, 3], { device: lost });
    const gone = lost.device.lost;
    lost.device.destroy();
    await gone;
    assert.ok(lost.hasFailed);
    try {
      await old.data();
      assert.unreachable('reading a tensor of the lost device should throw');
    } catch (error) {
      assert.instance(error, TensorLoopError);
      assert.match((error as Error).message, /device lost/);
    }
    // two callers at once get the same new device
    const [fresh, again] = (await Promise.all([Device.default(), Device.default()])) as WebGpuDevice[];
    assert.is.not(fresh, lost);
    assert.is(again, fresh);
    assert.ok(lost.isDisposed, 'what was left of the lost device was freed');
    assert.equal(Array.from(await add(tensor([1, 2, 3], { device: fresh }), 1).data()), [2, 3, 4]);
    fresh.dispose();
  });
}

test.run();
