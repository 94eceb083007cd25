// Checkpoints as bytes: a model's parameters and state, optionally an optimizer's state
// and any JSON-serializable `extra` (epoch, RNG seeds), in one safetensors buffer. No file
// system here, so the browser uses it as is (checkpoint.ts writes the bytes to files).
// Model tensors are stored under their parameter paths (`conv1.weight`), so Python reads
// them as a plain state dict; optimizer slots under `optimizer/<slot>/<path>`
// (`optimizer/m/conv1.weight`); the optimizer's type, step and hyperparameters and the
// extra go in `__metadata__` as JSON strings.
//
// Reading checks the whole buffer against the model (and optimizer) before it changes
// anything: a bad header, offsets, dtype or shape, a missing tensor, malformed optimizer
// metadata or `extra` is a TensorLoopError naming the source and the problem, and the
// model and optimizer keep their values.

import { TensorLoopError, shapeString } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { checkRequiredOptions } from '../options.js';
import { type Tensor, fromData } from '../tensor.js';
import { type SafetensorsEntry, decodeSafetensors, encodeSafetensors } from './safetensors.js';

export interface SaveCheckpointOptions {
  model: Module;
  optimizer?: Optimizer;
  /** Anything JSON can hold; returned by loadCheckpoint. */
  extra?: unknown;
}

export interface LoadCheckpointOptions {
  model: Module;
  optimizer?: Optimizer;
  /** Reject tensors in the file that the model does not have (default true). */
  strict?: boolean;
}

export interface LoadedCheckpoint {
  extra: unknown;
  metadata: Record<string, string>;
}

const OPTIMIZER_PREFIX = 'optimizer/';
const FORMAT_VERSION = '1';
export const SAVE_OPTIONS = ['model', 'optimizer', 'extra'] as const;
export const LOAD_OPTIONS = ['model', 'optimizer', 'strict'] as const;

/** `model` (and `optimizer`, `extra`) as the bytes of a safetensors file. */
export async function checkpointToBytes(options: SaveCheckpointOptions, owner = 'checkpointToBytes'): Promise<Uint8Array> {
  const { model, optimizer, extra } = checkRequiredOptions(owner, options, SAVE_OPTIONS);
  if (!model || typeof model.namedParameters !== 'function') throw new TensorLoopError(`${owner}: model must be a Module`);
  const metadata: Record<string, string> = { format: 'tensorloop', version: FORMAT_VERSION };
  if (extra !== undefined) metadata.extra = toJSON(owner, 'extra', extra);
  const entries: [string, SafetensorsEntry][] = [];
  const add = async (name: string, t: Tensor): Promise<void> => {
    entries.push([name, { dtype: t.dtype, shape: t.shape, data: await t.data() }]);
  };
  for (const [name, t] of [...model.namedParameters(), ...model.namedState()]) await add(name, t);
  if (optimizer) {
    const { tensors, ...rest } = optimizer.state();
    metadata.optimizer = toJSON(owner, 'the optimizer state', rest);
    for (const [name, t] of tensors) await add(OPTIMIZER_PREFIX + name, t);
  }
  return encodeSafetensors(entries, metadata);
}

/** Reads checkpoint bytes into `model` (and `optimizer`) once every part has been
 * checked; returns the `extra` and the raw metadata. `source` starts every error message. */
export function checkpointFromBytes(bytes: Uint8Array, options: LoadCheckpointOptions, source = 'checkpointFromBytes'): LoadedCheckpoint {
  const { model, optimizer, strict = true } = checkRequiredOptions(source, options, LOAD_OPTIONS);
  if (!model || typeof model.namedParameters !== 'function') throw new TensorLoopError(`${source}: model must be a Module`);
  if (!(bytes instanceof Uint8Array)) throw new TensorLoopError(`${source}: expected the checkpoint as a Uint8Array`);
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  if (metadata.version !== undefined && metadata.version !== FORMAT_VERSION) {
    throw new TensorLoopError(`${source}: checkpoint format version ${metadata.version}; this tensorloop reads version ${FORMAT_VERSION}`);
  }
  const extra = metadata.extra === undefined ? undefined : parseJSON(source, 'extra', metadata.extra);

  const parameters = model.namedParameters();
  const targets = [...parameters, ...model.namedState()];
  const byPath = new Map(targets);
  for (const [name, t] of targets) {
    const entry = tensors.get(name);
    if (!entry) throw new TensorLoopError(`${source}: missing tensor '${name}' ${shapeString(t.shape)}`);
    checkMatch(source, name, entry, t);
  }
  if (strict) {
    for (const name of tensors.keys()) {
      if (!name.startsWith(OPTIMIZER_PREFIX) && !byPath.has(name)) throw new TensorLoopError(`${source}: unexpected tensor '${name}', which the model does not have`);
    }
  }
  const saved = optimizer ? readOptimizerMetadata(source, metadata, optimizer) : undefined;
  const slotEntries: [string, SafetensorsEntry, Tensor][] = [];
  if (optimizer) {
    const parameterByPath = new Map(parameters);
    for (const [name, entry] of tensors) {
      if (!name.startsWith(OPTIMIZER_PREFIX)) continue;
      const key = name.slice(OPTIMIZER_PREFIX.length);
      const cut = key.indexOf('/');
      const param = cut > 0 ? parameterByPath.get(key.slice(cut + 1)) : undefined;
      if (!param) throw new TensorLoopError(`${source}: optimizer tensor '${name}' belongs to no parameter of the model`);
      checkMatch(source, name, entry, param);
      slotEntries.push([key, entry, param]);
    }
  }

  // Everything is checked: from here on only the optimizer's own checks can refuse, and
  // they run before it changes anything.
  if (optimizer && saved) {
    const state: OptimizerState = { ...saved, tensors: slotEntries.map(([key, entry, param]) => [key, fromData(entry.data, entry.shape, param.device)]) };
    try {
      optimizer.loadState(state);
    } catch (error) {
      throw error instanceof TensorLoopError ? new TensorLoopError(`${source}: ${error.message}`) : error;
    } finally {
      for (const [, t] of state.tensors) t.dispose();
    }
  }
  for (const [name, t] of targets) {
    const entry = tensors.get(name)!;
    t.assign(fromData(entry.data, entry.shape, t.device));
  }
  return { extra, metadata };
}

/** The optimizer's JSON metadata, checked field by field against `optimizer`. */
function readOptimizerMetadata(source: string, metadata: Record<string, string>, optimizer: Optimizer): Omit<OptimizerState, 'tensors'> {
  if (metadata.optimizer === undefined) throw new TensorLoopError(`${source}: the file holds no optimizer state`);
  const saved = parseJSON(source, 'optimizer', metadata.optimizer) as Partial<OptimizerState> | null;
  const bad = (what: string): never => {
    throw new TensorLoopError(`${source}: the optimizer metadata ${what}`);
  };
  if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) bad('is not a JSON object');
  const { type, step, hyperparameters } = saved!;
  if (typeof type !== 'string') bad(`has no type (got ${JSON.stringify(type)})`);
  if (type !== optimizer.constructor.name) bad(`is of a ${type}, the optimizer given is a ${optimizer.constructor.name}`);
  if (!Number.isSafeInteger(step) || step! < 0) bad(`has step ${JSON.stringify(step)}, not an integer ≥ 0`);
  if (hyperparameters === null || typeof hyperparameters !== 'object' || Array.isArray(hyperparameters)) bad('has no hyperparameters object');
  for (const [name, value] of Object.entries(hyperparameters!)) {
    if (typeof value !== 'boolean' && typeof value !== 'number') bad(`has hyperparameter ${name} = ${JSON.stringify(value)}, not a number or boolean`);
  }
  const rate = hyperparameters!.learningRate;
  if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && Number.isFinite(rate))) bad(`has learningRate ${JSON.stringify(rate)}, not a finite number ≥ 0`);
  return saved as Omit<OptimizerState, 'tensors'>;
}

function checkMatch(source: string, name: string, entry: SafetensorsEntry, t: Tensor): void {
  if (entry.dtype !== t.dtype || entry.shape.length !== t.shape.length || entry.shape.some((d, i) => d !== t.shape[i])) {
    throw new TensorLoopError(`${source}: tensor '${name}' is ${entry.dtype} ${shapeString(entry.shape)} in the file, the model has ${t.dtype} ${shapeString(t.shape)}`);
  }
}

function toJSON(owner: string, what: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TensorLoopError(`${owner}: ${what} cannot be written as JSON (${(error as Error).message})`);
  }
  if (text === undefined) throw new TensorLoopError(`${owner}: ${what} cannot be written as JSON (it is ${typeof value})`);
  return text;
}

function parseJSON(source: string, key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TensorLoopError(`${source}: the '${key}' metadata is not valid JSON (${(error as Error).message})`);
  }
}
