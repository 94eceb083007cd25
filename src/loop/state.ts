// What a callback sees and may change through `loop`: the Swift for TensorFlow names
// (`lastStepInput` … `lastStatsLog`) plus `isTraining`, `model`, `globalStep` and
// `optimizer`. Kept as an interface so callbacks depend on the state, not on the class.

import type { Device } from '../device/device.js';
import type { Tensor } from '../tensor.js';
import type { ResumeState } from './resume-state.js';
import type { StatisticsEntry } from './statistics-recorder.js';

/** What the loop needs of a model: a Module satisfies it. */
export interface LoopModel {
  forward(x: Tensor): Tensor;
  namedParameters(): [string, Tensor][];
  train?(): unknown;
  eval?(): unknown;
  to?(device: Device): Promise<unknown>;
}

/** What the loop needs of an optimizer: the optimizers of src/optim satisfy it. */
export interface LoopOptimizer {
  /** Read at every update; the learning-rate scheduler writes it. */
  learningRate: number;
  update(model: LoopModel, gradients: Map<string, Tensor>): void;
  to?(device: Device): Promise<unknown>;
}

export type { TrainingLoopCallback, TrainingLoopCallbackFunction, TrainingLoopCallbackObject } from './callback.js';

export interface TrainingLoopState {
  optimizer: LoopOptimizer;
  /** The model being fit (set at fitStart). */
  model: LoopModel | undefined;
  /** The device fit runs on. */
  device: Device | undefined;
  /** True during the training phase (from just before trainingStart to trainingEnd). */
  isTraining: boolean;

  lastStepInput: Tensor | undefined;
  lastStepTarget: Tensor | undefined;
  /** The model's output for the current batch; undefined until its forward pass ran. */
  lastStepOutput: Tensor | undefined;
  /** Parameter path → gradient; set before updateStart. Replace it there to change the update. */
  lastStepGradient: Map<string, Tensor> | undefined;
  /** The batch's mean loss, a scalar tensor; undefined until computed. */
  lastStepLoss: Tensor | undefined;

  /** 0-based index of the batch within the current phase. */
  batchIndex: number | undefined;
  /** Batches in the current phase (set when its batch loop starts). */
  batchCount: number | undefined;
  /** 0-based epoch index. */
  epochIndex: number | undefined;
  epochCount: number | undefined;
  /** Training batches run before the current one, over the loop's lifetime. */
  globalStep: number;

  /** The running statistics of the phase, `loss` first; undefined right after a reset. */
  lastStatsLog: StatisticsEntry[] | undefined;

  /** True once requestStop (or Ctrl-C) asked the fit to end after the current batch. */
  stopRequested?: boolean;
  /** Ends the fit after the current batch, with the end events (the loop's; see interrupt.ts). */
  requestStop?(): void;
  /** What a checkpoint saved now needs to resume the run exactly (see resume-state.ts). */
  resumeState?(): ResumeState | undefined;
}
