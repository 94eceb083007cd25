// After the shared WebGPU device is lost (a driver reset; here GPUDevice.destroy(), which
// resolves Dawn's `lost` promise as a reset would), Device.default() makes a new device
// instead of handing back the lost one; tensors on the lost device throw a TensorLoopError
// saying so. The devices are lost and made in a child process (device-loss-child.ts), apart
// from the device the other suites share. Runs only where an adapter exists.

import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testWebGpu } from '../helpers/devices.js';

if (await testWebGpu()) {
  test('Device.default() after device loss: a new, working device; the lost one is disposed', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/webgpu/device-loss-child.ts'], { encoding: 'utf8', timeout: 120_000 });
    assert.is(child.status, 0, child.stderr);
    const findings = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
    assert.equal(findings.kind, 'webgpu');
    assert.ok(findings.sharedWhileWorking, 'one shared device while it works');
    assert.ok(findings.hasFailed);
    assert.match(findings.oldRead, /^TensorLoopError: .*device lost/);
    assert.ok(findings.fresh, 'a new device, not the lost one');
    assert.ok(findings.sharedNew, 'two callers at once get the same new device');
    assert.ok(findings.lostDisposed, 'what was left of the lost device was freed');
    assert.equal(findings.computes, [2, 3, 4]);
  });
}

test.run();
