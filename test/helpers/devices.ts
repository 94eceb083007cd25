// The devices every op suite runs on: the CPU always, and WebGPU when an adapter exists.
// Without an adapter the GPU suites are not run and ONE line says so and why; with
// TENSORLOOP_REQUIRE_WEBGPU=1 (as CI sets) a missing adapter throws, so the run fails.
// The WebGPU device is shared by all suites of the process (uvu runs every file in one)
// and disposed when the event loop empties, so the process exits by itself.

import type { Device } from '../../src/device/device.js';
import { cpu } from '../../src/device/cpu.js';
import { type WebGpuDevice, requestWebGpuDevice } from '../../src/device/webgpu.js';

let shared: Promise<WebGpuDevice | null> | null = null;
let reported = false;

/** The shared WebGPU device, or null (after printing why, once) when there is none. */
export function testWebGpu(): Promise<WebGpuDevice | null> {
  shared ??= requestWebGpuDevice().then(
    (device) => {
      process.once('beforeExit', () => device.dispose());
      return device;
    },
    (error: Error) => {
      if (process.env.TENSORLOOP_REQUIRE_WEBGPU === '1') {
        throw new Error(`TENSORLOOP_REQUIRE_WEBGPU=1 but no WebGPU device: ${error.message}`);
      }
      if (!reported) console.log(`GPU suites were not run: ${error.message}`);
      reported = true;
      return null;
    },
  );
  return shared;
}

/** [cpu, webgpu] when an adapter exists, else [cpu]. */
export async function testDevices(): Promise<Device[]> {
  const gpu = await testWebGpu();
  return gpu ? [cpu, gpu] : [cpu];
}
