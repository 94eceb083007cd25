// Helpers shared by the op suites: the devices every test runs on, seeded random
// inputs, and the bad-input check (a TensorLoopError naming the op, nothing allocated).
// Not a suite itself (the name does not end in .test.ts).

import * as assert from 'uvu/assert';
import { Device } from '../../src/device/index.js';
import type { Device as DeviceType } from '../../src/device/device.js';
import { TensorLoopError } from '../../src/errors.js';
import { type Shape, type Tensor, fromData, liveTensorCount, randn, randu } from '../../src/tensor.js';

/** The devices every op test runs on: the CPU, plus WebGPU where an adapter exists. */
export { testDevices } from '../helpers/devices.js';

/** Normal samples with a fixed seed (so a failure reproduces). */
export const normal = (shape: Shape, device: DeviceType, seed = 1): Tensor => randn(shape, { seed, device });

/** Uniform samples in [low, high) with a fixed seed: for ops defined on part of the line (log, sqrt). */
export const uniform = (shape: Shape, device: DeviceType, low: number, high: number, seed = 1): Tensor => randu(shape, { seed, device, low, high });

let inputsMade = 0;

/** Marks a tensor made as an argument inside an `assertOpError` call, so the check can
 * tell the arguments (one tensor, one buffer each) from anything the op left behind. */
export function input<T extends Tensor>(t: T): T {
  inputsMade += 1;
  return t;
}

/** `fn` throws a TensorLoopError whose message starts with `op:` (and matches `pattern`,
 * when given), and leaves the count of live tensors and device buffers unchanged, apart
 * from the arguments `fn` made through `input`. */
export function assertOpError(fn: () => unknown, op: string, device: DeviceType, pattern?: RegExp): void {
  const tensorsBefore = liveTensorCount(device);
  const buffersBefore = device.memory().buffers;
  const inputsBefore = inputsMade;
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof TensorLoopError)) {
    assert.unreachable(`expected a TensorLoopError from ${op}, got ${caught === undefined ? 'no error' : String(caught)}`);
  }
  const message = (caught as TensorLoopError).message;
  assert.ok(message.startsWith(`${op}:`), `message should name ${op}: "${message}"`);
  if (pattern) assert.match(message, pattern);
  const inputs = inputsMade - inputsBefore;
  assert.is(liveTensorCount(device) - tensorsBefore - inputs, 0, `${op} left tensors allocated after throwing: "${message}"`);
  assert.is(device.memory().buffers - buffersBefore - inputs, 0, `${op} left device buffers allocated after throwing: "${message}"`);
}

/** Values of a seeded normal sample pushed at least `margin` away from 0: inputs for ops
 * with a kink at 0 (relu, abs), so a finite difference never straddles it. */
export function awayFromZero(shape: Shape, device: DeviceType, seed = 1, margin = 0.2): Tensor {
  const x = randn(shape, { seed, device: Device.cpu });
  const values = Array.from(cpuValues(x), (v) => (v >= 0 ? v + margin : v - margin));
  x.dispose();
  return fromData(Float32Array.from(values), shape, device);
}

function cpuValues(t: Tensor): Float32Array {
  return (t.storage as unknown as { data: Float32Array }).data;
}
