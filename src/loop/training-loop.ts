// The TrainingLoop: Swift for TensorFlow's generalized training loop in TypeScript.
//
//   const loop = new TrainingLoop({training, validation, optimizer, lossFunction, metrics, callbacks});
//   await loop.fit(model, {epochs: 10, device});
//
// `fit` runs the twelve events in order (see events.ts) through five nested scopes (fit ⊃
// epoch ⊃ training/validation ⊃ batch), each run by `withEvents`: start event, body, the
// scope's TrainingLoopAction caught (see actions.ts), end event. Callbacks see the state
// through the names of state.ts and return a History. Differences from the original:
//   - the model, `isTraining`, `globalStep` and the device are part of the state;
//   - each batch runs in a memory scope opened and closed by `batch`: the tensors made
//     for it (the batch if the dataset made it then, output, loss, gradients and anything
//     callbacks made during its events) are freed when it ends, so memory stays flat;
//     tensors the dataset owns are never freed by the loop; the `lastStep*` state is
//     cleared at each new batch, so a cancelled batch never shows (or gets counted with)
//     the previous batch's values;
//   - tensors made by callbacks at the other events are freed after the event unless
//     `keep()`-ed; a lastStep* tensor used after its batch ended says so (step-notes.ts);
//   - metrics are measured by a recorder that reads the device back at most once per batch;
//   - the event loop turns before every batch (a macrotask, not just a microtask): Dawn
//     finishes and frees GPU work only then, and a WebGPU process that records ~64k
//     dispatches without a turn crashes inside Dawn (when no callback reads anything back);
//     in a browser the same turn lets the page draw and take input while it trains.

import { valueWithGradient } from '../autodiff/gradients.js';
import { noGrad } from '../autodiff/tape.js';
import { type BatchCollection, type LabeledBatch, batchCountOf } from '../data/batches.js';
import type { Device } from '../device/device.js';
import { TensorLoopError } from '../errors.js';
import { endScope, keep, startScope } from '../memory.js';
import { eventLoopTurn } from '../platform.js';
import type { Tensor } from '../tensor.js';
import { type TrainingLoopActionKind, isAction } from './actions.js';
import { checkEpoch, checkTraining, isTensorLike } from './checks.js';
import { type TrainingLoopCallback, checkCallback, invokeCallback } from './callback.js';
import { ProgressPrinter, type ProgressPrinterOptions } from './callbacks/progress-printer.js';
import type { TrainingLoopEvent } from './events.js';
import type { MetricSpec } from './metrics.js';
import { GradientAccumulator } from './gradient-accumulator.js';
import { History, HistoryRecorder } from './history.js';
import { handleInterrupts } from './interrupt.js';
import { type LoopPosition, type ResumePoint, type ResumeState, dataStateOf, restoreCallbackStates, resumeFromCheckpoint, resumeStateOf } from './resume-state.js';
import { clipByGlobalNorm } from '../optim/clip.js';
import type { LoopModel, LoopOptimizer, TrainingLoopState } from './state.js';
import { type StatisticsEntry, StatisticsRecorder } from './statistics-recorder.js';
import { noteStepTensorsFreed } from './step-notes.js';
import { type ClassWeight, classWeightList, classWeightedLoss } from './class-weight.js';
import { predict as predictBatches } from './predict.js';
import { checkOptions } from '../options.js';

/** `(output, target) => scalar mean loss`, e.g. softmaxCrossEntropy. */
export type LossFunction = (output: Tensor, target: Tensor) => Tensor;

/** Computes lastStepOutput, lastStepLoss and lastStepGradient for one training batch. */
export type DifferentiableStep = (model: LoopModel, loop: TrainingLoop) => void | Promise<void>;

export interface TrainingLoopOptions {
  /** One collection of batches per epoch (e.g. `dataset.training`). */
  training: Iterable<BatchCollection<LabeledBatch>>;
  /** The validation batches, the same every epoch (e.g. `dataset.validation`). */
  validation: BatchCollection<LabeledBatch>;
  optimizer: LoopOptimizer;
  lossFunction: LossFunction;
  /** Metric names, functions (output, target) => scalar tensor, or Metric objects; the loss comes first. */
  metrics?: readonly MetricSpec[];
  callbacks?: readonly TrainingLoopCallback[];
  /** The statistics recorder and progress printer, first in the callback list (default true). */
  includeDefaultCallbacks?: boolean;
  /** false turns the console display off; an object configures it. Default: on. */
  progress?: boolean | ProgressPrinterOptions;
  /** Scales the gradients together so that their global norm is at most this, before
   * `updateStart` (torch's clip_grad_norm_). */
  gradientClipNorm?: number;
  /** Updates once every K training batches with the mean of their gradients (see gradient-accumulator.ts). */
  accumulateGradients?: number;
  /** A weight per class for the training loss, `[1, 5]` or `{0: 1, 1: 5}` (see class-weight.ts). */
  classWeight?: ClassWeight;
}

export interface FitOptions {
  epochs: number;
  /** Moves the model (and the optimizer's state) there first; the batches must be there too. */
  device?: Device;
  /** Extra callbacks for this fit only, run after the loop's own. */
  callbacks?: readonly TrainingLoopCallback[];
  differentiableStep?: DifferentiableStep;
  /** A checkpoint written by modelCheckpoint: continues that run exactly where it stood
   * (model, optimizer, data order, Dropout streams, step; see resume-state.ts). */
  resumeFrom?: string;
  /** The 0-based epoch to start at (Keras' initial_epoch): `epochs` stays the run's total,
   * so schedules continue; the training data skips the epochs before it. */
  initialEpoch?: number;
  /** Ctrl-C stops after the current batch (see interrupt.ts); default true, Node only. */
  handleInterrupts?: boolean;
}

export class TrainingLoop implements TrainingLoopState {
  readonly training: Iterable<BatchCollection<LabeledBatch>>;
  readonly validation: BatchCollection<LabeledBatch>;
  optimizer: LoopOptimizer;
  lossFunction: LossFunction;
  readonly metrics: readonly MetricSpec[];
  callbacks: TrainingLoopCallback[];
  readonly statisticsRecorder: StatisticsRecorder | undefined;
  readonly progressPrinter: ProgressPrinter | undefined;

  model: LoopModel | undefined;
  device: Device | undefined;
  isTraining = false;
  lastStepInput: Tensor | undefined;
  lastStepTarget: Tensor | undefined;
  lastStepOutput: Tensor | undefined;
  lastStepGradient: Map<string, Tensor> | undefined;
  lastStepLoss: Tensor | undefined;
  batchIndex: number | undefined;
  batchCount: number | undefined;
  epochIndex: number | undefined;
  epochCount: number | undefined;
  globalStep = 0;
  lastStatsLog: StatisticsEntry[] | undefined;
  /** Set by requestStop (or Ctrl-C): the fit ends after the current batch. */
  stopRequested = false;
  /** Where the run stands, for checkpoints (see resume-state.ts). */
  position: LoopPosition | undefined;

  readonly gradientClipNorm: number | undefined;
  /** K of `accumulateGradients` (1: an update every batch). */
  get accumulateGradients(): number {
    return this.accumulator?.every ?? 1;
  }
  /** The class weights of the training loss (lossFunction applies them while training). */
  readonly classWeight: readonly number[] | undefined;
  private readonly accumulator: GradientAccumulator | undefined;
  /** Tensors of the current batch kept out of inner scopes (holdForStep), freed with it. */
  private held: Tensor[] = [];
  private running = false;
  /** Training batches the first epoch of a resumed fit skips (they ran before). */
  private skipTrainingBatches = 0;
  /** The loop's own callbacks for the current fit (the History), run before the others. */
  private internal: TrainingLoopCallback[] = [];

  constructor(options: TrainingLoopOptions) {
    checkOptions('TrainingLoop', options, ['training', 'validation', 'optimizer', 'lossFunction', 'metrics', 'callbacks', 'includeDefaultCallbacks', 'progress', 'gradientClipNorm', 'accumulateGradients', 'classWeight']);
    const { training, validation, optimizer, lossFunction, metrics = [], callbacks = [], includeDefaultCallbacks = true, progress = true, gradientClipNorm, accumulateGradients = 1, classWeight } = options;
    if (gradientClipNorm !== undefined && !(gradientClipNorm > 0 && Number.isFinite(gradientClipNorm))) throw new TensorLoopError(`TrainingLoop: gradientClipNorm must be a finite number > 0, got ${gradientClipNorm}`);
    this.gradientClipNorm = gradientClipNorm;
    this.accumulator = accumulateGradients === 1 ? undefined : new GradientAccumulator(accumulateGradients);
    checkTraining(training);
    if (!validation || typeof (validation as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TensorLoopError('TrainingLoop: `validation` must be a collection of batches (e.g. dataset.validation)');
    }
    if (!optimizer || typeof optimizer.update !== 'function') throw new TensorLoopError('TrainingLoop: `optimizer` must have an update(model, gradients) method');
    if (typeof lossFunction !== 'function') throw new TensorLoopError('TrainingLoop: `lossFunction` must be a function (output, target) => loss');
    callbacks.forEach((c, i) => checkCallback('TrainingLoop', c, i));
    this.training = training;
    this.validation = validation;
    this.optimizer = optimizer;
    this.classWeight = classWeight === undefined ? undefined : classWeightList(classWeight);
    this.lossFunction = this.classWeight ? classWeightedLoss(lossFunction, this.classWeight, () => this.isTraining) : lossFunction;
    this.metrics = [...metrics];
    this.callbacks = [...callbacks];
    if (includeDefaultCallbacks) {
      this.statisticsRecorder = new StatisticsRecorder(this.metrics);
      const defaults: TrainingLoopCallback[] = [this.statisticsRecorder];
      if (progress !== false) {
        this.progressPrinter = new ProgressPrinter(progress === true ? {} : progress);
        defaults.push(this.progressPrinter);
      }
      this.callbacks = [...defaults, ...this.callbacks];
    }
  }

  /** Trains `model` for `epochs` epochs, validating after each; returns their History. */
  async fit(model: LoopModel, options: FitOptions): Promise<History> {
    checkOptions('TrainingLoop.fit', options, ['epochs', 'device', 'callbacks', 'differentiableStep', 'resumeFrom', 'initialEpoch', 'handleInterrupts']);
    const { epochs, device, callbacks = [], differentiableStep = defaultDifferentiableStep, resumeFrom, initialEpoch = 0, handleInterrupts: interruptible = true } = options;
    if (!Number.isInteger(epochs) || epochs < 0) throw new TensorLoopError(`TrainingLoop.fit: epochs must be a non-negative integer, got ${epochs}`);
    if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs) throw new TensorLoopError(`TrainingLoop.fit: initialEpoch must be an integer in [0, epochs = ${epochs}], got ${initialEpoch}`);
    if (resumeFrom !== undefined && options.initialEpoch !== undefined) throw new TensorLoopError('TrainingLoop.fit: give resumeFrom or initialEpoch, not both (the checkpoint knows its epoch)');
    if (!model || typeof model.forward !== 'function') throw new TensorLoopError('TrainingLoop.fit: model must have a forward(x) method');
    if (this.running) throw new TensorLoopError('TrainingLoop.fit: this loop is already fitting; await the first fit');
    callbacks.forEach((c, i) => checkCallback('TrainingLoop.fit', c, this.callbacks.length + i));
    if (Array.isArray(this.training) && this.training.length < epochs) {
      throw new TensorLoopError(
        `TrainingLoop.fit: \`training\` holds ${this.training.length} collection(s) of batches, one per epoch, but epochs is ${epochs}; ` +
          'repeat the batches for every epoch (Array.from({length: epochs}, () => batches)) or use TrainingEpochs, which reshuffles each epoch',
      );
    }
    this.running = true;
    const ownCallbackCount = this.callbacks.length;
    const history = new HistoryRecorder();
    this.callbacks.push(...callbacks);
    this.internal = [history];
    this.stopRequested = false;
    this.position = undefined;
    let removeInterruptHandler = (): void => {};
    try {
      this.epochCount = epochs;
      this.model = model;
      if (device) {
        await model.to?.(device);
        await this.optimizer.to?.(device);
      }
      this.device = device ?? model.namedParameters()[0]?.[1].device;
      const start: ResumePoint = resumeFrom === undefined ? { epoch: initialEpoch, batch: 0, globalStep: undefined, dataRestored: false } : await resumeFromCheckpoint(resumeFrom, { model, optimizer: this.optimizer, training: this.training, epochs });
      this.globalStep = start.globalStep ?? this.globalStep;
      if (interruptible) removeInterruptHandler = handleInterrupts(this);
      await this.withEvents(FIT, () => {
        restoreCallbackStates(this.callbacks, start.callbacks); // after fitStart, which resets them
        return this.epochLoop(model, epochs, differentiableStep, start);
      });
    } finally {
      removeInterruptHandler();
      this.skipTrainingBatches = 0;
      this.clearStep();
      this.accumulator?.reset();
      this.statisticsRecorder?.reset();
      this.callbacks.length = ownCallbackCount;
      this.internal = [];
      this.running = false;
    }
    return history.history;
  }

  /** The metrics of `model` on `batches` (default: the validation set), without training:
   * one validation phase (validationStart … validationEnd, with the callbacks). */
  async evaluate(model: LoopModel, batches: BatchCollection<LabeledBatch> = this.validation): Promise<Record<string, number>> {
    if (!model || typeof model.forward !== 'function') throw new TensorLoopError('TrainingLoop.evaluate: model must have a forward(x) method');
    if (!batches || typeof (batches as Iterable<unknown>)[Symbol.iterator] !== 'function') throw new TensorLoopError('TrainingLoop.evaluate: batches must be a collection of batches');
    if (this.running) throw new TensorLoopError('TrainingLoop.evaluate: this loop is busy fitting; await the fit first');
    if (!this.statisticsRecorder) throw new TensorLoopError('TrainingLoop.evaluate: needs the statistics recorder (includeDefaultCallbacks: true)');
    this.running = true;
    try {
      this.model = model;
      this.device = model.namedParameters()[0]?.[1].device;
      this.epochIndex = undefined;
      this.epochCount = undefined;
      this.lastStatsLog = undefined;
      await this.phase(model, batches, false, defaultDifferentiableStep);
      const log = this.lastStatsLog as StatisticsEntry[] | undefined; // set by the recorder's callbacks
      return Object.fromEntries((log ?? []).map((s) => [s.name, s.value]));
    } finally {
      this.clearStep();
      this.statisticsRecorder.reset();
      this.running = false;
    }
  }

  /** The model's outputs for `batches` (default: the validation set), concatenated into one
   * tensor the caller owns: `predict` of predict.ts (no callbacks run). */
  predict(model: LoopModel, batches: Iterable<LabeledBatch | Tensor> = this.validation): Promise<Tensor> {
    return predictBatches(model, batches);
  }

  /** Ends the fit after the current batch, with the end events (batchEnd … fitEnd) as usual;
   * the epoch's validation phase is skipped when training was cut short. Ctrl-C calls it. */
  requestStop(): void {
    if (this.running) this.stopRequested = true;
  }

  /** Whether a requested stop happens before batch `index`: at once, except inside a group
   * of accumulated gradients, which completes first (a resume then starts a new group). */
  private stopsBefore(index: number, training: boolean): boolean {
    return this.stopRequested && !(training && this.accumulator && index % this.accumulator.every !== 0);
  }

  /** What a checkpoint saved now needs to resume the run exactly (see resume-state.ts). */
  resumeState(): ResumeState | undefined {
    return this.position && resumeStateOf(this.position, this);
  }

  private async epochLoop(model: LoopModel, epochs: number, step: DifferentiableStep, start: ResumePoint): Promise<void> {
    const epochIterator = this.training[Symbol.iterator]();
    if (!start.dataRestored) for (let i = 0; i < start.epoch; i++) epochIterator.next(); // the epochs that ran before
    this.skipTrainingBatches = start.batch;
    for (let i = start.epoch; i < epochs && !this.stopRequested; i++) {
      this.position = { epoch: i, batch: 0, data: dataStateOf(this.training) };
      const next = epochIterator.next();
      if (next.done) {
        throw new TensorLoopError(`TrainingLoop.fit: \`training\` ran out after ${i} of ${epochs} epochs; it must yield one collection of batches per epoch (TrainingEpochs never runs out)`);
      }
      checkEpoch(next.value, i);
      this.epochIndex = i;
      await this.withEvents(EPOCH, async () => {
        await this.phase(model, next.value, true, step);
        if (this.stopRequested) return;
        await this.phase(model, this.validation, false, step);
        this.position = { epoch: i + 1, batch: 0, data: dataStateOf(this.training) };
      });
    }
  }

  /** One phase: trainingStart … trainingEnd, or validationStart … validationEnd. */
  private async phase(model: LoopModel, batches: BatchCollection<LabeledBatch>, training: boolean, step: DifferentiableStep): Promise<void> {
    this.isTraining = training;
    if (training) model.train?.();
    else model.eval?.();
    this.accumulator?.reset();
    await this.withEvents(training ? TRAINING : VALIDATION, async () => {
      this.batchCount = batchCountOf(batches);
      const iterator = batches[Symbol.iterator]();
      const skip = training ? Math.min(this.skipTrainingBatches, this.batchCount) : 0;
      if (training) this.skipTrainingBatches = 0;
      for (let index = 0; index < skip; index++) skipBatch(iterator);
      for (let index = skip; index < this.batchCount && !this.stopsBefore(index, training); index++) {
        await eventLoopTurn();
        if (!(await this.batch(model, iterator, index, training, step))) break;
      }
    });
  }

  /** One batch, in its own memory scope: the tensors made for it (the batch if the
   * dataset made it now, output, loss, gradients, and whatever callbacks made at its
   * events) are freed when it ends. False when the iterator is exhausted. */
  private async batch(model: LoopModel, iterator: Iterator<LabeledBatch>, index: number, training: boolean, step: DifferentiableStep): Promise<boolean> {
    this.clearStep();
    startScope();
    try {
      const next = iterator.next();
      if (next.done) return false;
      this.checkBatch(next.value, index);
      this.batchIndex = index;
      this.lastStepInput = next.value.data;
      this.lastStepTarget = next.value.label;
      await this.withEvents(BATCH, () => (training ? this.trainingStep(model, step) : this.inferenceStep(model)));
      if (training) {
        this.globalStep += 1;
        if (this.position) this.position.batch = index + 1;
      }
      return true;
    } finally {
      const noteFreed = noteStepTensorsFreed(this);
      for (const t of this.held) if (!t.kept) t.dispose();
      this.held = [];
      endScope();
      noteFreed();
    }
  }

  private async trainingStep(model: LoopModel, step: DifferentiableStep): Promise<void> {
    await step(model, this);
    if (this.accumulator && this.lastStepGradient) {
      const index = this.batchIndex ?? 0;
      const due = (index + 1) % this.accumulator.every === 0 || index + 1 === this.batchCount;
      const mean = this.accumulator.add(this.lastStepGradient, due);
      if (!mean) return; // this batch only adds to the group's sum
      this.lastStepGradient = mean;
    }
    if (this.gradientClipNorm !== undefined && this.lastStepGradient) this.lastStepGradient = clipByGlobalNorm(this.lastStepGradient, this.gradientClipNorm);
    await this.fire('updateStart');
    const gradients = this.lastStepGradient;
    if (!gradients) return;
    // an error a GPU kernel found in this batch (a bad label) throws here, before the update
    const first = gradients.values().next().value;
    await first?.device.checkDeferredErrors([...gradients.values()].map((g) => g.storage));
    this.optimizer.update(model, gradients);
  }

  private async inferenceStep(model: LoopModel): Promise<void> {
    const input = this.lastStepInput!;
    this.lastStepOutput = noGrad(() => model.forward(input));
    if (!this.lastStepTarget) return;
    await this.fire('inferencePredictionEnd');
    const output = this.lastStepOutput;
    const target = this.lastStepTarget;
    if (output && target) this.lastStepLoss = noGrad(() => this.lossFunction(output, target));
  }

  /** Keeps a tensor made inside an inner scope (e.g. the forward output inside the
   * gradient computation) alive until its batch ends: taken out of every scope but not
   * marked kept, so the batch frees it unless someone `keep()`s it meanwhile. */
  holdForStep<T extends Tensor>(t: T): T {
    keep(t).kept = false;
    this.held.push(t);
    return t;
  }

  /** fastai's `_with_events`: fires the scope's start event and runs `body`; the scope's
   * cancel action, thrown by either, is caught; then the end event fires. Any other error
   * (or another scope's action) propagates, and the end event does not fire. */
  private async withEvents(scope: EventScope, body: () => Promise<void>): Promise<void> {
    try {
      await this.fire(scope.start);
      await body();
    } catch (error) {
      if (!isAction(error, scope.cancel)) throw error;
    }
    await this.fire(scope.end);
  }

  /** Calls every callback for `event`, in order, awaiting each. Events outside a batch get
   * their own memory scope (tensors a callback makes there are freed after it); a batch's
   * events share the batch's scope. */
  private async fire(event: TrainingLoopEvent): Promise<void> {
    const scoped = !BATCH_EVENTS.has(event);
    if (scoped) startScope();
    try {
      for (const callback of this.internal) await invokeCallback(callback, undefined, this, event);
      const callbacks = [...this.callbacks];
      for (let i = 0; i < callbacks.length; i++) await invokeCallback(callbacks[i]!, i, this, event);
    } finally {
      if (scoped) endScope();
    }
  }

  private checkBatch(batch: LabeledBatch, index: number): void {
    const phase = this.isTraining ? 'training' : 'validation';
    if (!batch || !isTensorLike(batch.data) || !isTensorLike(batch.label)) {
      throw new TensorLoopError(`TrainingLoop: ${phase} batch ${index} must be {data, label} tensors`);
    }
    if (this.device && (batch.data.device !== this.device || batch.label.device !== this.device)) {
      throw new TensorLoopError(
        `TrainingLoop: ${phase} batch ${index} is on ${batch.data.device.name}/${batch.label.device.name} but the model is on ${this.device.name}; ` +
          'build the dataset with the same device',
      );
    }
  }

  /** Clears the per-step state (at each new batch and when fit ends). */
  private clearStep(): void {
    this.lastStepInput = undefined;
    this.lastStepTarget = undefined;
    this.lastStepOutput = undefined;
    this.lastStepGradient = undefined;
    this.lastStepLoss = undefined;
  }
}

interface EventScope {
  start: TrainingLoopEvent;
  end: TrainingLoopEvent;
  cancel: TrainingLoopActionKind;
}

// The five scopes of the loop, with the action each one catches (see actions.ts).
const FIT: EventScope = { start: 'fitStart', end: 'fitEnd', cancel: 'cancelFit' };
const EPOCH: EventScope = { start: 'epochStart', end: 'epochEnd', cancel: 'cancelEpoch' };
const TRAINING: EventScope = { start: 'trainingStart', end: 'trainingEnd', cancel: 'cancelTraining' };
const VALIDATION: EventScope = { start: 'validationStart', end: 'validationEnd', cancel: 'cancelValidation' };
const BATCH: EventScope = { start: 'batchStart', end: 'batchEnd', cancel: 'cancelBatch' };
const BATCH_EVENTS: ReadonlySet<TrainingLoopEvent> = new Set(['batchStart', 'updateStart', 'inferencePredictionEnd', 'batchEnd']);

/** Passes over a batch that ran before a resume, freeing whatever the dataset made for it. */
function skipBatch(iterator: Iterator<LabeledBatch>): void {
  startScope();
  try {
    iterator.next();
  } finally {
    endScope();
  }
}

/** S4TF's default step: loss and gradient of lossFunction(model(input), target). */
const defaultDifferentiableStep: DifferentiableStep = (model, loop) => {
  const input = loop.lastStepInput;
  const target = loop.lastStepTarget;
  if (!input || !target) return;
  const [loss, gradient] = valueWithGradient(model, (m) => {
    const output = m.forward(input);
    loop.lastStepOutput = loop.holdForStep(output);
    return loop.lossFunction(output, target);
  });
  loop.lastStepLoss = loss;
  loop.lastStepGradient = gradient;
};
