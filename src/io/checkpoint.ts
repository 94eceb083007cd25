// Checkpoints: a model's parameters and state, optionally an optimizer's state and any
// JSON-serializable `extra` (epoch, RNG seeds), in one safetensors file. Model tensors are
// stored under their parameter paths (`conv1.weight`), so Python reads them as a plain
// state dict; optimizer slots under `optimizer/<slot>/<path>` (`optimizer/m/conv1.weight`);
// the optimizer's type, step and hyperparameters and the extra go in `__metadata__` as
// JSON strings. The file is written to a temporary name and renamed over the old one, so
// a crash mid-write never destroys the previous checkpoint.

import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TensorLoopError, shapeString } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
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

/** Writes `model` (and `optimizer`, `extra`) to `path` in the safetensors format. */
export async function saveCheckpoint(path: string, { model, optimizer, extra }: SaveCheckpointOptions): Promise<void> {
  const entries: [string, SafetensorsEntry][] = [];
  const add = async (name: string, t: Tensor): Promise<void> => {
    entries.push([name, { dtype: t.dtype, shape: t.shape, data: await t.data() }]);
  };
  for (const [name, t] of [...model.namedParameters(), ...model.namedState()]) await add(name, t);
  const metadata: Record<string, string> = { format: 'tensorloop', version: '1' };
  if (optimizer) {
    const state = optimizer.state();
    for (const [name, t] of state.tensors) await add(OPTIMIZER_PREFIX + name, t);
    metadata.optimizer = JSON.stringify({ type: state.type, step: state.step, hyperparameters: state.hyperparameters });
  }
  if (extra !== undefined) metadata.extra = JSON.stringify(extra);
  const bytes = encodeSafetensors(entries, metadata);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Reads a checkpoint into `model` (and `optimizer`). Everything is checked before
 * anything changes: a missing tensor, a shape or dtype that differs, or a truncated file
 * is a TensorLoopError naming the tensor. */
export async function loadCheckpoint(path: string, { model, optimizer, strict = true }: LoadCheckpointOptions): Promise<LoadedCheckpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new TensorLoopError(`loadCheckpoint: cannot read ${path}: ${(error as Error).message}`);
  }
  const source = `loadCheckpoint ${path}`;
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const targets = [...model.namedParameters(), ...model.namedState()];
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
  let optimizerState: OptimizerState | undefined;
  if (optimizer) {
    if (!metadata.optimizer) throw new TensorLoopError(`${source}: the file holds no optimizer state`);
    const saved = JSON.parse(metadata.optimizer) as Omit<OptimizerState, 'tensors'>;
    const stateTensors: [string, Tensor][] = [];
    for (const [name, entry] of tensors) {
      if (!name.startsWith(OPTIMIZER_PREFIX)) continue;
      const key = name.slice(OPTIMIZER_PREFIX.length);
      const param = byPath.get(key.slice(key.indexOf('/') + 1));
      if (!param) throw new TensorLoopError(`${source}: optimizer tensor '${name}' belongs to no parameter of the model`);
      checkMatch(source, name, entry, param);
      stateTensors.push([key, fromData(entry.data, entry.shape, param.device)]);
    }
    optimizerState = { ...saved, tensors: stateTensors };
  }
  try {
    optimizer?.loadState(optimizerState!);
  } finally {
    for (const [, t] of optimizerState?.tensors ?? []) t.dispose();
  }
  for (const [name, t] of targets) {
    const entry = tensors.get(name)!;
    t.assign(fromData(entry.data, entry.shape, t.device));
  }
  return { extra: metadata.extra === undefined ? undefined : JSON.parse(metadata.extra), metadata };
}

function checkMatch(source: string, name: string, entry: SafetensorsEntry, t: Tensor): void {
  if (entry.dtype !== t.dtype || entry.shape.length !== t.shape.length || entry.shape.some((d, i) => d !== t.shape[i])) {
    throw new TensorLoopError(`${source}: tensor '${name}' is ${entry.dtype} ${shapeString(entry.shape)} in the file, the model has ${t.dtype} ${shapeString(t.shape)}`);
  }
}
