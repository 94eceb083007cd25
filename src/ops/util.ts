// Argument checks shared by the ops: tensors on one device, live, of the right dtype;
// numbers promoted to scalars; broadcast shapes; axis normalization. Every failure is a
// TensorLoopError naming the op.

import { TensorLoopError, describeValue, shapeString } from '../errors.js';
import { cpuData } from '../kernels/kernel.js';
import { type Shape, Tensor, assertHostAllocatable, disposalNoteOf, scalar } from '../tensor.js';
import { isRecording } from '../autodiff/tape.js';
import { tidy } from '../memory.js';

export type TensorLike = Tensor | number;

export function assertTensor(op: string, x: unknown, name = 'x'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TensorLoopError(`${op}: ${name} must be a Tensor, got ${describeValue(x)}`);
  if (x.isDisposed) throw new TensorLoopError(`${op}: ${name} ${shapeString(x.shape)} was disposed${disposalNoteOf(x)}`);
}

export function assertSameDevice(op: string, tensors: readonly Tensor[]): void {
  const device = tensors[0]!.device;
  for (const t of tensors) {
    if (t.device !== device) {
      throw new TensorLoopError(`${op}: tensors are on different devices (${device.name} and ${t.device.name}); move one with toAsync`);
    }
  }
}

export function assertFloat(op: string, x: Tensor, name = 'x'): void {
  if (x.dtype !== 'float32') throw new TensorLoopError(`${op}: ${name} must be float32, got ${x.dtype}`);
}

/** Turns numbers into scalars shaped like nothing, on the device and dtype of the first tensor. */
export function toTensors(op: string, values: readonly TensorLike[]): Tensor[] {
  const template = values.find((v): v is Tensor => v instanceof Tensor);
  if (!template) throw new TensorLoopError(`${op}: at least one argument must be a Tensor`);
  values.forEach((v, i) => typeof v !== 'number' && assertTensor(op, v, `argument ${i}`));
  const dtype = template.dtype;
  return values.map((v) => (typeof v === 'number' ? scalar(v, { device: template.device, dtype: Number.isInteger(v) ? dtype : 'float32' }) : v));
}

/** NumPy broadcasting: shapes align on the right; each pair of dims is equal or one is 1. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const j = rank - shape.length + i;
      const d = shape[i]!;
      if (d === out[j] || d === 1) continue;
      if (out[j] === 1) out[j] = d;
      else throw new TensorLoopError(`${op}: shapes ${shapes.map(shapeString).join(' and ')} do not broadcast`);
    }
  }
  return out;
}

/** Normalizes one axis or a list (negative counts from the end); undefined means all. */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new TensorLoopError(`${op}: axis ${a} is out of range for rank ${rank}`);
    }
    return a < 0 ? a + rank : a;
  });
  if (new Set(out).size !== out.length) throw new TensorLoopError(`${op}: repeated axis in ${JSON.stringify(list)}`);
  return out.sort((a, b) => a - b);
}

export function normalizeAxis(op: string, axis: number, rank: number): number {
  return normalizeAxes(op, axis, rank)[0]!;
}

/** For ops whose output can be larger than their inputs: on the CPU, a TensorLoopError naming
 * the op and the output shape when no TypedArray can hold it, before anything is allocated. */
export function assertOutputAllocatable(op: string, shape: Shape, ...inputs: readonly TensorLike[]): void {
  const first = inputs.find((x): x is Tensor => typeof x !== 'number');
  if (first?.device.kind === 'cpu') assertHostAllocatable(op, shape);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Runs the body of an op built from other ops. While no gradient is being recorded the
 * intermediates (scalars standing for numbers, casts, reshaped views, partial results)
 * are freed as soon as the op returns; while recording, the tape needs them, and the
 * scope of the gradient computation frees them instead. */
export function composite<T>(body: () => T): T {
  return isRecording() ? body() : tidy(body);
}

/** Throws unless every int32 index (`what`: 'index', 'label') is in [0, n). The one range
 * check of integer indices (gather, and so Embedding; softmaxCrossEntropy's labels). It runs
 * on CPU tensors only: reading GPU indices back would stall, so WebGPU kernels clamp and
 * raise a status code instead, reported at the next read. `context` ends the message. */
export function checkIndexRange(op: string, indices: Tensor, n: number, what: string, context = ''): void {
  if (indices.device.kind !== 'cpu') return;
  const data = cpuData(indices);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= n) throw new TensorLoopError(`${op}: ${what} ${v} at position ${i} is outside [0, ${n})${context}`);
  }
}
