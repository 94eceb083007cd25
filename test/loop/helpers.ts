// Shared pieces of the loop tests: a tiny linear classifier (a real Module), a seeded
// toy dataset split into batches, and a trace callback recording the events.
import type { LabeledBatch } from '../../src/data/batches.js';
import type { Device } from '../../src/device/device.js';
import type { TrainingLoopEvent } from '../../src/loop/events.js';
import type { TrainingLoopState } from '../../src/loop/state.js';
import { Module } from '../../src/nn/module.js';
import { add, matmul } from '../../src/ops/index.js';
import { Random } from '../../src/random.js';
import { type Tensor, keep, randn, tensor, zeros } from '../../src/index.js';

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor;
  constructor(inputs: number, outputs: number, device?: Device, seed = 1) {
    super();
    this.weight = keep(randn([inputs, outputs], { seed, std: 0.1, device }));
    this.bias = keep(zeros([outputs], { device }));
  }
  forward(x: Tensor): Tensor {
    return add(matmul(x, this.weight), this.bias);
  }
}

/** `count` samples of 4 features; the class is the index of the largest of the first 3. */
export function toyBatches(count: number, batchSize: number, device?: Device, seed = 7): LabeledBatch[] {
  const random = new Random(seed);
  const batches: LabeledBatch[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const x = new Float32Array(n * 4);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 4; j++) x[i * 4 + j] = random.normal();
      y[i] = [0, 1, 2].reduce((best, j) => (x[i * 4 + j]! > x[i * 4 + best]! ? j : best), 0);
    }
    batches.push({ data: keep(tensor(x, { shape: [n, 4], device })), label: keep(tensor(y, { shape: [n], device })) });
  }
  return batches;
}

export interface TraceRow {
  event: TrainingLoopEvent;
  isTraining: boolean;
  batch: string;
}

/** A callback appending `event`, the phase and `batchIndex/batchCount` to `rows`. */
export function tracer(rows: TraceRow[]) {
  return (loop: TrainingLoopState, event: TrainingLoopEvent): void => {
    rows.push({ event, isTraining: loop.isTraining, batch: `${loop.batchIndex ?? '-'}/${loop.batchCount ?? '-'}` });
  };
}

export const events = (rows: readonly TraceRow[]): string[] => rows.map((r) => r.event);

export async function parameterValues(model: Module): Promise<number[]> {
  const out: number[] = [];
  for (const [, p] of model.namedParameters()) out.push(...(await p.data()));
  return out;
}
