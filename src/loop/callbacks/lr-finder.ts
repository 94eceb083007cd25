// `learningRateFinder(loop, model, options)`: fastai's learning-rate range test (lr_find,
// after Leslie Smith's "Cyclical Learning Rates", 2015). It trains on the loop's training
// batches while the learning rate grows exponentially from `startRate` to `endRate` over
// `steps` batches, records each batch's loss and its smoothed value, stops early once the
// smoothed loss passes `divergenceFactor` (4) times its best, and suggests a rate
// (lr-finder-suggestions.ts: fastai's `valley`). Then it puts everything back as it was:
// the model's parameters and state tensors, the optimizer's state and hyperparameters, the
// training data's shuffle position and every Dropout stream (where they offer state()),
// train/eval mode. The curve is written as CSV and as an SVG plot (lr-finder-plot.ts) and
// returned as text too (in a browser only as text: there the paths default to null).
//
// It runs on a loop of its own built from `loop`'s parts (training data, optimizer, loss,
// classWeight, gradientClipNorm, accumulateGradients) with the range test as its callback,
// so the user's loop and callbacks (logs, checkpoints, early stopping) never see it: its
// position and history stay as they were. Differences from fastai: the last step uses
// `endRate` exactly (fastai's stops one step short of it), and a non-finite smoothed loss
// counts as divergence (fastai's comparison lets NaN run on).

import { TensorLoopError } from '../../errors.js';
import { writeFileAtomically } from '../../io/atomic-write.js';
import { keep } from '../../memory.js';
import { softmaxCrossEntropy } from '../../ops/softmax-cross-entropy.js';
import { checkOptions } from '../../options.js';
import { isNode } from '../../platform.js';
import type { Tensor } from '../../tensor.js';
import type { BatchCollection, LabeledBatch } from '../../data/batches.js';
import { TrainingLoopAction } from '../actions.js';
import type { TrainingLoopCallback } from '../callback.js';
import type { LoopModel, TrainingLoopState } from '../state.js';
import { type DifferentiableStep, TrainingLoop } from '../training-loop.js';
import { type LearningRateCurve, curveCsv, curveSvg } from './lr-finder-plot.js';
import { type LearningRateSuggestions, SmoothedLoss, suggestRates } from './lr-finder-suggestions.js';
import { type ProgressOutput, progressBar } from './progress-printer.js';

export interface LearningRateFinderOptions {
  /** Default 1e-7 (fastai's). */
  startRate?: number;
  /** Default 10. */
  endRate?: number;
  /** Training batches in the test, ≥ 2 (default 100). */
  steps?: number;
  /** Stops once the smoothed loss exceeds this many times its best so far (default 4);
   * false runs every step. */
  divergenceFactor?: number | false;
  /** β of the loss's moving average (default 0.98, fastai's). */
  smoothing?: number;
  /** Where the CSV goes: default `run/lr-finder.csv` in Node, none (null) in a browser. */
  csvPath?: string | null;
  /** Where the SVG plot goes: default `run/lr-finder.svg` in Node, none (null) in a browser. */
  svgPath?: string | null;
  /** The step to train with (default: the loop's default step). */
  differentiableStep?: DifferentiableStep;
  /** More callbacks for the test's loop (it has no statistics recorder: read loop.lastStepLoss). */
  callbacks?: readonly TrainingLoopCallback[];
  /** Where the one summary line goes (default console.log); false: silent. */
  log?: ((message: string) => void) | false;
  /** A line `learningRateFinder 37/100 [===>…] rate … - smoothed loss …` rewritten in place
   * while the test runs: default process.stdout when it is a terminal, else none (false). */
  progress?: ProgressOutput | false;
}

export interface LearningRateFinderResult extends LearningRateCurve {
  /** The suggested learning rate: fastai's `valley`. */
  suggestion: number;
  /** valley (= suggestion), steep and minimum (see lr-finder-suggestions.ts). */
  suggestions: LearningRateSuggestions;
  /** Why the test ended: all steps ran, the loss diverged, or the training data ran out. */
  stopReason: 'steps' | 'diverged' | 'out of data';
  /** The CSV text and the SVG document (also written to the paths, when set). */
  csv: string;
  svg: string;
  csvPath: string | null;
  svgPath: string | null;
}

export async function learningRateFinder(loop: TrainingLoop, model: LoopModel, options: LearningRateFinderOptions = {}): Promise<LearningRateFinderResult> {
  const settings = checkSettings(options);
  if (!(loop instanceof TrainingLoop)) throw new TensorLoopError('learningRateFinder: the first argument must be a TrainingLoop (its data, optimizer and loss are used)');
  if (!model || typeof model.forward !== 'function') throw new TensorLoopError('learningRateFinder: model must have a forward(x) method');
  const test = new RangeTest(settings);
  const snapshot = takeSnapshot(loop, model);
  try {
    const testLoop = new TrainingLoop({
      training: repeatedEpochs(loop.training, test),
      validation: [],
      optimizer: loop.optimizer,
      // with classWeight the loop's lossFunction weights only while *that* loop trains: give the weights again
      lossFunction: loop.classWeight ? softmaxCrossEntropy : loop.lossFunction,
      ...(loop.classWeight ? { classWeight: loop.classWeight } : {}),
      ...(loop.gradientClipNorm !== undefined ? { gradientClipNorm: loop.gradientClipNorm } : {}),
      accumulateGradients: loop.accumulateGradients,
      includeDefaultCallbacks: false,
      callbacks: [...settings.callbacks, test],
    });
    await testLoop.fit(model, { epochs: settings.steps, ...(settings.differentiableStep ? { differentiableStep: settings.differentiableStep } : {}) });
  } finally {
    test.clearProgress();
    snapshot.restore();
  }
  if (test.rates.length === 0) throw new TensorLoopError('learningRateFinder: no training batch ran (is the training data empty?)');
  return finish(test, settings);
}

type Settings = Required<Omit<LearningRateFinderOptions, 'differentiableStep' | 'log' | 'progress'>> & {
  differentiableStep?: DifferentiableStep;
  log: ((message: string) => void) | false;
  progress: ProgressOutput | false;
};

function checkSettings(options: LearningRateFinderOptions): Settings {
  const o = checkOptions('learningRateFinder', options, ['startRate', 'endRate', 'steps', 'divergenceFactor', 'smoothing', 'csvPath', 'svgPath', 'differentiableStep', 'callbacks', 'log', 'progress']);
  const stdout = (globalThis as { process?: { stdout?: ProgressOutput } }).process?.stdout;
  const defaultPath = (extension: string) => (isNode ? `run/lr-finder.${extension}` : null);
  const s: Settings = {
    startRate: o.startRate ?? 1e-7,
    endRate: o.endRate ?? 10,
    steps: o.steps ?? 100,
    divergenceFactor: o.divergenceFactor ?? 4,
    smoothing: o.smoothing ?? 0.98,
    csvPath: o.csvPath === undefined ? defaultPath('csv') : o.csvPath,
    svgPath: o.svgPath === undefined ? defaultPath('svg') : o.svgPath,
    callbacks: o.callbacks ?? [],
    log: o.log === undefined ? (m: string) => console.log(m) : o.log,
    progress: o.progress === undefined ? (stdout?.isTTY ? stdout : false) : o.progress,
    ...(o.differentiableStep ? { differentiableStep: o.differentiableStep } : {}),
  };
  const fail = (message: string): never => {
    throw new TensorLoopError(`learningRateFinder: ${message}`);
  };
  if (!(s.startRate > 0 && Number.isFinite(s.startRate))) fail(`startRate must be a finite number > 0, got ${s.startRate}`);
  if (!(s.endRate > s.startRate && Number.isFinite(s.endRate))) fail(`endRate must be finite and above startRate ${s.startRate}, got ${s.endRate}`);
  if (!(Number.isInteger(s.steps) && s.steps >= 2)) fail(`steps must be an integer ≥ 2, got ${s.steps}`);
  if (s.divergenceFactor !== false && !(s.divergenceFactor > 1)) fail(`divergenceFactor must be a number > 1 or false, got ${s.divergenceFactor}`);
  if (!(s.smoothing >= 0 && s.smoothing < 1)) fail(`smoothing must be in [0, 1), got ${s.smoothing}`);
  for (const [name, path, extension] of [['csvPath', s.csvPath, '.csv'], ['svgPath', s.svgPath, '.svg']] as const) {
    if (path !== null && (typeof path !== 'string' || !path.endsWith(extension))) fail(`${name} must end in ${extension} (or be null for none), got ${JSON.stringify(path)}`);
  }
  return s;
}

/** The range test as a callback of the test's loop: sets each batch's rate, records its loss. */
class RangeTest {
  readonly name = 'learningRateFinder';
  readonly rates: number[] = [];
  readonly losses: number[] = [];
  readonly smoothedLosses: number[] = [];
  stopReason: LearningRateFinderResult['stopReason'] = 'steps';
  private best = Infinity;
  private readonly smoother: SmoothedLoss;
  private lastDraw = -Infinity;

  constructor(private readonly settings: Settings) {
    this.smoother = new SmoothedLoss(settings.smoothing);
  }

  /** startRate · (endRate / startRate)^(i / (steps − 1)): startRate at the first step, endRate at the last. */
  private rate(): number {
    const { startRate, endRate, steps } = this.settings;
    return startRate * (endRate / startRate) ** (this.rates.length / (steps - 1));
  }

  // set at batchStart for the step, again at updateStart in case another callback changed it
  onBatchStart(loop: TrainingLoopState): void {
    loop.optimizer.learningRate = this.rate();
  }

  onUpdateStart(loop: TrainingLoopState): void {
    loop.optimizer.learningRate = this.rate();
  }

  async onBatchEnd(loop: TrainingLoopState): Promise<void> {
    if (!loop.isTraining || !loop.lastStepLoss) return;
    const loss = await loop.lastStepLoss.item();
    const smoothed = this.smoother.add(loss);
    this.rates.push(this.rate());
    this.losses.push(loss);
    this.smoothedLosses.push(smoothed);
    this.best = Math.min(this.best, smoothed);
    this.drawProgress();
    const { divergenceFactor, steps } = this.settings;
    if (divergenceFactor !== false && !(smoothed <= divergenceFactor * this.best)) {
      this.stopReason = 'diverged';
      throw TrainingLoopAction.cancelFit;
    }
    if (this.rates.length >= steps) throw TrainingLoopAction.cancelFit;
  }

  /** The progress line, at most 10 times a second, cut to the terminal's width. */
  private drawProgress(): void {
    const { progress, steps } = this.settings;
    const now = performance.now();
    if (!progress || (now - this.lastDraw < 100 && this.rates.length < steps)) return;
    this.lastDraw = now;
    const i = this.rates.length - 1;
    const line = `learningRateFinder ${i + 1}/${steps} ${progressBar(i + 1, steps, 10)} rate ${this.rates[i]!.toExponential(2)}, smoothed loss ${this.smoothedLosses[i]!.toFixed(4)}`;
    progress.write(`\r${line.slice(0, Math.max(1, (progress.columns ?? 80) - 1))}\x1b[K`);
  }

  /** Clears the progress line (before the summary line is printed). */
  clearProgress(): void {
    if (this.settings.progress && this.lastDraw > -Infinity) this.settings.progress.write('\r\x1b[K');
  }
}

/** The loop's epochs, an array of them started over when it runs out; other data that runs
 * out ends the test (cancelFit, caught by the test loop's fit scope). */
function repeatedEpochs(training: Iterable<BatchCollection<LabeledBatch>>, test: RangeTest): Iterable<BatchCollection<LabeledBatch>> {
  return {
    [Symbol.iterator]() {
      let epochs = training[Symbol.iterator]();
      let any = false;
      return {
        next() {
          let next = epochs.next();
          if (next.done && Array.isArray(training) && any) {
            epochs = training[Symbol.iterator]();
            next = epochs.next();
          }
          if (next.done) {
            test.stopReason = 'out of data';
            throw TrainingLoopAction.cancelFit;
          }
          any = true;
          return next;
        },
      };
    },
  };
}

interface StatefulOptimizer {
  state(): { tensors: [string, Tensor][] } & Record<string, unknown>;
  loadState(state: unknown): void;
  learningRate: number;
}

/** Everything the test changes, held so `restore` puts it back bit for bit: the parameters
 * and state tensors as views of their storage now (the optimizer and BatchNorm replace or
 * copy-on-write shared storage, never write it), the optimizer's state (its tensors
 * likewise), the data's and the Dropout streams' positions, train/eval mode. */
function takeSnapshot(loop: TrainingLoop, model: LoopModel): { restore(): void } {
  const optimizer = loop.optimizer as unknown as Partial<StatefulOptimizer>;
  if (typeof optimizer.state !== 'function' || typeof optimizer.loadState !== 'function') {
    throw new TensorLoopError('learningRateFinder: the optimizer needs state() and loadState() (those of src/optim have them) to be put back after the test');
  }
  const hold = (named: [string, Tensor][]) => named.map(([path, t]) => [path, keep(t.view(t.shape))] as [string, Tensor]);
  const stateTensors = () => (model as { namedState?: () => [string, Tensor][] }).namedState?.() ?? [];
  const parameters = hold(model.namedParameters());
  const states = hold(stateTensors());
  const savedOptimizer = optimizer.state();
  const optimizerTensors = hold(savedOptimizer.tensors);
  const learningRate = loop.optimizer.learningRate;
  const data = loop.training as Partial<{ state(): unknown; setState(s: unknown): void }>;
  const dataState = typeof data.state === 'function' && typeof data.setState === 'function' ? data.state() : undefined;
  const streams = randomStreams(model).map(([m]) => [m, m.randomState()] as const);
  const training = (model as { training?: boolean }).training;
  return {
    restore() {
      const put = (saved: [string, Tensor][], current: [string, Tensor][]) => {
        const byPath = new Map(current);
        for (const [path, t] of saved) byPath.get(path)?.assign(t.view(t.shape));
      };
      put(parameters, model.namedParameters());
      put(states, stateTensors());
      optimizer.loadState!({ ...savedOptimizer, tensors: optimizerTensors });
      loop.optimizer.learningRate = learningRate;
      for (const [, t] of [...parameters, ...states, ...optimizerTensors]) t.dispose();
      if (dataState !== undefined) data.setState!(dataState);
      for (const [m, state] of streams) m.setRandomState(state);
      if (training === true) model.train?.();
      if (training === false) model.eval?.();
    },
  };
}

interface RandomStream {
  randomState(): number;
  setRandomState(state: number): void;
}

/** The model and its modules that keep a random stream (Dropout). */
function randomStreams(model: LoopModel): [RandomStream][] {
  const modules = [model, ...((model as { namedModules?: () => [string, unknown][] }).namedModules?.() ?? []).map(([, m]) => m)];
  return modules.filter((m): m is RandomStream => typeof (m as Partial<RandomStream>)?.randomState === 'function').map((m) => [m]);
}

async function finish(test: RangeTest, settings: Settings): Promise<LearningRateFinderResult> {
  const curve = { rates: test.rates, losses: test.losses, smoothedLosses: test.smoothedLosses };
  const suggestions = suggestRates(test.rates, test.smoothedLosses, settings.steps);
  const ended = { steps: `${test.rates.length} steps`, diverged: `stopped at step ${test.rates.length}: the loss diverged`, 'out of data': `stopped at step ${test.rates.length}: the training data ran out` }[test.stopReason];
  const title = `Learning rate finder: ${ended}; suggested ${suggestions.valley.toPrecision(3)} (valley)`;
  const csv = curveCsv(curve);
  const svg = curveSvg(curve, { startRate: settings.startRate, endRate: settings.endRate, suggestion: suggestions.valley, title });
  if (settings.csvPath !== null) await writeFileAtomically(settings.csvPath, new TextEncoder().encode(csv), 'learningRateFinder');
  if (settings.svgPath !== null) await writeFileAtomically(settings.svgPath, new TextEncoder().encode(svg), 'learningRateFinder');
  if (settings.log) {
    const files = [settings.csvPath, settings.svgPath].filter((p) => p !== null);
    settings.log(
      `learningRateFinder: ${settings.startRate} → ${settings.endRate}, ${ended}; suggested learning rate ${suggestions.valley.toPrecision(3)} ` +
        `(valley; steep ${suggestions.steep.toPrecision(3)}, minimum/10 ${suggestions.minimum.toPrecision(3)})` +
        (files.length > 0 ? `; curve in ${files.join(' and ')}` : ''),
    );
  }
  return { ...curve, suggestion: suggestions.valley, suggestions, stopReason: test.stopReason, csv, svg, csvPath: settings.csvPath, svgPath: settings.svgPath };
}
