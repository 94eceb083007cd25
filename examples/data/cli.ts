// Small helpers shared by the examples' command lines: picking the device from a
// `--device` flag, checking numeric flags, and telling "run as a script" from "imported by
// a test". (The statistics of a run come from the History that `fit` returns.)

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Device, TensorLoopError } from '../../src/index.js';

export type DeviceFlag = 'default' | 'cpu' | 'webgpu';

/** `default`: Device.default() (WebGPU when an adapter works, else the CPU); `cpu`; `webgpu`. */
export async function pickDevice(flag: string): Promise<Device> {
  if (flag === 'cpu') return Device.cpu;
  if (flag === 'webgpu') return Device.webgpu();
  if (flag === 'default') return Device.default();
  throw new TensorLoopError(`--device must be default, cpu or webgpu, got '${flag}'`);
}

/** A positive integer flag, or a clear error naming it. */
export function positiveInteger(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1)) throw new TensorLoopError(`--${name} must be an integer ≥ 1, got '${value}'`);
  return n;
}

/** A positive number flag, or a clear error naming it. */
export function positiveNumber(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new TensorLoopError(`--${name} must be a number > 0, got '${value}'`);
  return n;
}

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Ends a script: frees the device (Dawn keeps Node alive otherwise) and exits. */
export function finish(device: Device, code = 0): never {
  device.dispose();
  process.exit(code);
}

/** Runs a script's body on the device the flag names; an error is printed (its message
 * alone for a TensorLoopError) and exits 1, always after disposing the device. */
export async function runExample(deviceFlag: string, body: (device: Device) => Promise<void>): Promise<never> {
  const device = await pickDevice(deviceFlag);
  try {
    await body(device);
  } catch (error) {
    console.error(error instanceof TensorLoopError ? `error: ${error.message}` : error);
    finish(device, 1);
  }
  finish(device, 0);
}
