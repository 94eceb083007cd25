// Exact resume: what a checkpoint holds besides the model's and the optimizer's tensors, so
// that a fit continued from it computes bit for bit what the uninterrupted fit would have:
//   - where the loop stood: the epoch to continue in, how many of its training batches
//     already ran, the global step, and the run's epoch count (the learning-rate
//     schedules count steps over epochCount · batchCount, see scheduleStep);
//   - where the training data stood just before that epoch was drawn (TrainingEpochs'
//     shuffled order and generator, from its `state()`), so drawing the epoch again gives
//     the same order; data without `state()` (an array of epochs) is skipped by index;
//   - each Dropout layer's random stream (any module with randomState());
//   - the state of callbacks that keep one across epochs (earlyStopping's patience count and
//     best value, reduceLearningRateOnPlateau's, modelCheckpoint's best): any callback with
//     checkpointState()/restoreCheckpointState(), by name; restored right after fitStart
//     (which resets them). A saved state with no such callback in this fit is ignored.
// It goes in the checkpoint's `extra` as `{tensorloop: {resume: …}}` (JSON). Reading it
// back checks the whole file against the loop, the model and the optimizer first; when
// anything is wrong nothing changes (the data and the Dropout streams are put back).

import { TensorLoopError } from '../errors.js';
import { checkpointFromBytes } from '../io/checkpoint-format.js';
import { decodeSafetensors } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { nodeModule } from '../platform.js';
import { Random } from '../random.js';
import type { LoopModel, LoopOptimizer } from './state.js';

export interface ResumeState {
  version: 1;
  /** The 0-based epoch to continue in. */
  epoch: number;
  /** Training batches of that epoch that already ran. */
  batch: number;
  epochCount: number;
  globalStep: number;
  /** The training data's `state()` before `epoch` was drawn (absent for data without one). */
  data?: unknown;
  /** Module path ('' for the model itself) → state of its random stream. */
  random: Record<string, number>;
  /** Callback name (`EarlyStopping`, a second one `EarlyStopping#2`) → its checkpointState(). */
  callbacks?: Record<string, CallbackState>;
}

/** What a callback keeps across epochs: numbers (null for none yet, e.g. an infinite best). */
export type CallbackState = Record<string, number | null>;

/** A callback whose state a checkpoint saves. */
export interface StatefulCallback {
  checkpointState(): CallbackState;
  restoreCheckpointState(state: CallbackState): void;
}

/** The stateful callbacks by name (a repeated name gets #2, #3, …). */
function statefulCallbacks(callbacks: readonly unknown[]): Map<string, StatefulCallback> {
  const out = new Map<string, StatefulCallback>();
  for (const c of callbacks) {
    const callback = c as Partial<StatefulCallback> & { name?: unknown };
    if (typeof callback?.checkpointState !== 'function' || typeof callback.restoreCheckpointState !== 'function') continue;
    const name = typeof callback.name === 'string' ? callback.name : callback.constructor.name;
    let key = name;
    for (let n = 2; out.has(key); n++) key = `${name}#${n}`;
    out.set(key, callback as StatefulCallback);
  }
  return out;
}

/** Puts the saved callback states back (call after fitStart). */
export function restoreCallbackStates(callbacks: readonly unknown[], states: Record<string, CallbackState> | undefined): void {
  if (!states) return;
  for (const [key, callback] of statefulCallbacks(callbacks)) {
    const state = states[key];
    if (state) callback.restoreCheckpointState(state);
  }
}

/** Where the loop stands in its run; the loop keeps it up to date (see training-loop.ts). */
export interface LoopPosition {
  epoch: number;
  batch: number;
  data: unknown;
}

interface StatefulData {
  state(): unknown;
  setState(state: unknown): void;
}

interface RandomStream {
  randomState(): number;
  setRandomState(state: number): void;
}

/** The data's state (TrainingEpochs.state()), or undefined when it has none. */
export function dataStateOf(training: unknown): unknown {
  return hasState(training) ? training.state() : undefined;
}

function hasState(training: unknown): training is StatefulData {
  const t = training as Partial<StatefulData> | null;
  return typeof t?.state === 'function' && typeof t.setState === 'function';
}

/** The model's modules (and the model) that keep a random stream, by path. */
function randomStreams(model: LoopModel): Map<string, RandomStream> {
  const modules: [string, unknown][] = [['', model], ...((model as Partial<Module>).namedModules?.() ?? [])];
  return new Map(modules.filter((m): m is [string, RandomStream] => typeof (m[1] as Partial<RandomStream>)?.randomState === 'function'));
}

/** What a checkpoint saved now must hold to resume at `position`. */
export function resumeStateOf(position: LoopPosition, loop: { epochCount: number | undefined; globalStep: number; model: LoopModel | undefined; callbacks: readonly unknown[] }): ResumeState {
  const random = loop.model ? Object.fromEntries([...randomStreams(loop.model)].map(([path, m]) => [path, m.randomState()])) : {};
  const callbacks = Object.fromEntries([...statefulCallbacks(loop.callbacks)].map(([key, c]) => [key, c.checkpointState()]));
  const state: ResumeState = { version: 1, epoch: position.epoch, batch: position.batch, epochCount: loop.epochCount ?? position.epoch, globalStep: loop.globalStep, random, callbacks };
  if (position.data !== undefined) state.data = position.data;
  return state;
}

/** Where a resumed fit starts. `dataRestored`: the training data was set to the epoch's state
 * (else the loop skips `epoch` draws of it). */
export interface ResumePoint {
  epoch: number;
  batch: number;
  globalStep: number | undefined;
  dataRestored: boolean;
  /** For restoreCallbackStates, once fitStart has reset the callbacks. */
  callbacks?: Record<string, CallbackState>;
}

/** Loads `path` into the model, the optimizer, the training data and the Dropout streams,
 * once the whole file has been checked; returns where the fit continues. */
export async function resumeFromCheckpoint(path: string, target: { model: LoopModel; optimizer: LoopOptimizer; training: unknown; epochs: number }): Promise<ResumePoint> {
  const source = `TrainingLoop.fit: resumeFrom ${path}`;
  if (typeof path !== 'string' || path === '') throw new TensorLoopError(`TrainingLoop.fit: resumeFrom must be a checkpoint path, got ${JSON.stringify(path)}`);
  const { model, optimizer, training, epochs } = target;
  if (typeof (model as Partial<Module>).namedState !== 'function') throw new TensorLoopError(`${source}: resuming needs the model to be a Module`);
  if (typeof (optimizer as Partial<Optimizer>).loadState !== 'function') throw new TensorLoopError(`${source}: resuming needs an optimizer with state()/loadState() (those of src/optim)`);
  const { readFile } = nodeModule('fs/promises', 'TrainingLoop.fit: resumeFrom reads a file, which works in Node only');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new TensorLoopError(`${source}: cannot read the file: ${(error as Error).message}`);
  }
  const saved = readResumeState(source, decodeSafetensors(bytes, source).metadata);
  if (saved.epoch > epochs) throw new TensorLoopError(`${source}: the checkpoint is at epoch ${saved.epoch + 1}, past the ${epochs} epoch(s) of this fit (epochs counts the whole run, as Keras)`);
  const streams = randomStreams(model);
  const paths = (m: Iterable<string>): string => [...m].map((p) => `'${p}'`).join(', ') || 'none';
  if (Object.keys(saved.random).sort().join('\n') !== [...streams.keys()].sort().join('\n')) {
    throw new TensorLoopError(`${source}: the checkpoint holds random streams of modules ${paths(Object.keys(saved.random))}, the model has ${paths(streams.keys())}`);
  }
  if (saved.data !== undefined && !hasState(training)) throw new TensorLoopError(`${source}: the checkpoint holds the training data's shuffle state, but this loop's \`training\` has no setState() (use the same kind of data, e.g. TrainingEpochs)`);

  // Change the data and the streams first (each checks its own state), then the model and
  // the optimizer (checkpointFromBytes checks everything before it changes them); any
  // refusal puts the data and the streams back.
  const oldData = saved.data !== undefined ? (training as StatefulData).state() : undefined;
  const oldRandom = [...streams].map(([p, m]) => [p, m.randomState()] as const);
  try {
    if (saved.data !== undefined) (training as StatefulData).setState(saved.data);
    for (const [p, m] of streams) m.setRandomState(saved.random[p]!);
    checkpointFromBytes(bytes, { model: model as unknown as Module, optimizer: optimizer as unknown as Optimizer }, source);
  } catch (error) {
    if (saved.data !== undefined) (training as StatefulData).setState(oldData);
    for (const [p, s] of oldRandom) streams.get(p)!.setRandomState(s);
    throw error instanceof TensorLoopError && !error.message.startsWith('TrainingLoop.fit') ? new TensorLoopError(`${source}: ${error.message}`) : error;
  }
  if (saved.epochCount !== epochs) {
    console.warn(`TrainingLoop.fit: the checkpoint's run had ${saved.epochCount} epochs, this fit has ${epochs}; learning-rate schedules now count over ${epochs}`);
  }
  return { epoch: saved.epoch, batch: saved.batch, globalStep: saved.globalStep, dataRestored: saved.data !== undefined, callbacks: saved.callbacks };
}

/** The resume state in a checkpoint's metadata, checked field by field. */
function readResumeState(source: string, metadata: Record<string, string>): ResumeState {
  let extra: unknown;
  try {
    extra = metadata.extra === undefined ? undefined : JSON.parse(metadata.extra);
  } catch (error) {
    throw new TensorLoopError(`${source}: the 'extra' metadata is not valid JSON (${(error as Error).message})`);
  }
  const state = (extra as { tensorloop?: { resume?: Partial<ResumeState> } } | undefined)?.tensorloop?.resume;
  if (!state || typeof state !== 'object') throw new TensorLoopError(`${source}: the file holds no resume state (write it with modelCheckpoint, not saveCheckpoint)`);
  const bad = (what: string): never => {
    throw new TensorLoopError(`${source}: the resume state ${what}`);
  };
  if (state.version !== 1) bad(`has version ${JSON.stringify(state.version)}; this tensorloop reads version 1`);
  for (const key of ['epoch', 'batch', 'epochCount', 'globalStep'] as const) {
    if (!Number.isSafeInteger(state[key]) || state[key]! < 0) bad(`has ${key} ${JSON.stringify(state[key])}, not an integer ≥ 0`);
  }
  if (!state.random || typeof state.random !== 'object' || Array.isArray(state.random)) bad('has no random-stream table');
  for (const [path, value] of Object.entries(state.random!)) {
    try {
      new Random(0).setState(value);
    } catch {
      bad(`has random state ${JSON.stringify(value)} for '${path}', not a 32-bit unsigned integer`);
    }
  }
  if (state.callbacks !== undefined) {
    if (!state.callbacks || typeof state.callbacks !== 'object' || Array.isArray(state.callbacks)) bad('has a callback table that is not an object');
    for (const [name, values] of Object.entries(state.callbacks!)) {
      if (!values || typeof values !== 'object' || Array.isArray(values)) bad(`has a state of callback ${name} that is not an object`);
      for (const [key, value] of Object.entries(values)) {
        if (value !== null && typeof value !== 'number') bad(`has ${name}.${key} = ${JSON.stringify(value)}, not a number`);
      }
    }
  }
  return state as ResumeState;
}
