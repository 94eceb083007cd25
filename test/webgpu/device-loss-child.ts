// Run by device-loss.test.ts in its own process (so the devices it loses and makes do not
// share Dawn with the other suites): loses the shared device, checks Device.default(), and
// prints one JSON line of findings.
import type { WebGpuDevice } from '../../src/device/webgpu.js';
import { Device, add, tensor } from '../../src/index.js';

const lost = (await Device.default()) as WebGpuDevice;
const findings: Record<string, unknown> = { kind: lost.kind, sharedWhileWorking: (await Device.default()) === lost };
const old = tensor([1, 2, 3], { device: lost });
const gone = lost.device.lost;
lost.device.destroy();
await gone;
findings.hasFailed = lost.hasFailed;
findings.oldRead = await old.data().then(
  () => 'resolved',
  (error: Error) => `${error.name}: ${error.message}`,
);
const [fresh, again] = (await Promise.all([Device.default(), Device.default()])) as WebGpuDevice[];
findings.fresh = fresh !== lost;
findings.sharedNew = again === fresh;
findings.lostDisposed = lost.isDisposed;
findings.computes = Array.from(await add(tensor([1, 2, 3], { device: fresh }), 1).data());
fresh.dispose();
console.log(JSON.stringify(findings));
