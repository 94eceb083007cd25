// test/helpers/devices.ts for the kernel suites inside Chromium (the bundler puts this file
// in its place): WebGPU comes from navigator.gpu, and there is no "not run" case, because
// the runner checks for navigator.gpu before it loads a suite. The device lives as long
// as the page.

import { cpu } from '../../../src/device/cpu.js';
import type { Device } from '../../../src/device/device.js';
import { type WebGpuDevice, requestWebGpuDevice } from '../../../src/device/webgpu.js';

let shared: Promise<WebGpuDevice> | null = null;

/** The page's WebGPU device (a failure to get one fails every suite that asks). */
export function testWebGpu(): Promise<WebGpuDevice | null> {
  shared ??= requestWebGpuDevice();
  return shared;
}

/** [cpu, webgpu]. */
export async function testDevices(): Promise<Device[]> {
  return [cpu, (await testWebGpu())!];
}
