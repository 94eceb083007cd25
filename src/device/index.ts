// `Device`: the entry point for picking where tensors live.
//   Device.cpu               the CPU (always there)
//   await Device.webgpu()    a WebGPU device (throws TensorLoopError saying why and what to install)
//   await Device.default()   WebGPU when it works, else the CPU with one line saying why

import { cpu } from './cpu.js';
import type { Device as DeviceInterface } from './device.js';
import { type WebGpuDevice, type WebGpuOptions, requestWebGpuDevice } from './webgpu.js';

export type Device = DeviceInterface;

let defaultDevice: Promise<DeviceInterface> | null = null;

export const Device = {
  cpu: cpu as DeviceInterface,

  /** A new WebGPU device on the first adapter; `dispose()` it when done so the process can exit. */
  webgpu(options: WebGpuOptions = {}): Promise<WebGpuDevice> {
    return requestWebGpuDevice(options);
  },

  /** The WebGPU device when an adapter works (one shared device), else the CPU, saying why.
   * A shared device that was lost (a driver reset, `destroy()`), disposed or failed is
   * replaced by a new one; tensors on the old one stay unusable. */
  async default(): Promise<DeviceInterface> {
    const current = defaultDevice;
    const cached = current && (await current);
    if (cached && !(cached.kind === 'webgpu' && (cached as WebGpuDevice).hasFailed)) return cached;
    if (defaultDevice !== current) return Device.default(); // another call replaced it meanwhile
    cached?.dispose(); // frees what is left of a lost device (its buffers, its pipelines)
    defaultDevice = requestWebGpuDevice().catch((error: Error) => {
      console.log(`tensorloop: using the CPU: ${error.message}`);
      return cpu;
    });
    return defaultDevice;
  },
};
