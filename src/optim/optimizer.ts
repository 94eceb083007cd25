// The Optimizer base: what every optimizer shares. `update(model, grads)` checks the
// gradients against the model's parameters (before anything changes), then, one
// parameter at a time, calls the subclass's `applyUpdate`, which moves the parameter and
// its state in place with one fused op (src/ops/optimizer-updates.ts: one kernel per
// parameter, the same rule on every device). Old state is reused, temporaries are freed
// at once, so memory stays flat over any number of steps.
//
// State is per parameter path, in named slots (Adam: `m`, `v`), created as zeros on the
// parameter's device at its first update. `step` counts updates; each parameter also
// counts its own steps (the updates in which it had a gradient), which is the t of Adam's
// bias corrections, as in PyTorch: a parameter first updated at step 3 is corrected as at
// its step 1.
//
// Writing in place must not change what any other tensor sees, so storage that is shared
// (a view of a parameter, state handed to another optimizer by loadState, a gradient
// aliasing its parameter) or handed out by `state()` is first replaced by a private copy:
// copy-on-write, a rare extra pass. The composite rules beside each optimizer (sgdUpdate,
// adamUpdate, rmspropUpdate) are the readable definitions the kernels are tested against.

import type { Device } from '../device/device.js';
import { noGrad } from '../autodiff/tape.js';
import { TensorLoopError, describeValue, shapeString } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { mul } from '../ops/elementwise.js';
import { Tensor, fromData, zeros } from '../tensor.js';

/** Anything with named parameters: a Module. */
export interface ParameterSource {
  namedParameters(): [string, Tensor][];
}

/** One parameter's optimizer state: slot name → tensor shaped like the parameter. */
export type SlotState = Record<string, Tensor>;

/** What a checkpoint stores: the type, the step, each parameter's own step count, the
 * hyperparameters, and every slot tensor named `slot/path` (e.g. `m/conv1.weight`). */
export interface OptimizerState {
  type: string;
  step: number;
  /** Updates each parameter took part in, by path (absent in older checkpoints: then
   * every parameter with state counts `step`). */
  parameterSteps?: Record<string, number>;
  hyperparameters: Record<string, number | boolean>;
  tensors: [string, Tensor][];
}

export abstract class Optimizer {
  /** Read at every step: change it between steps to schedule the learning rate. */
  learningRate: number;
  /** How many updates have been applied. */
  step = 0;
  /** The state slots this optimizer keeps per parameter (empty for plain SGD). */
  protected abstract readonly slotNames: readonly string[];
  private readonly slots = new Map<string, SlotState>();
  /** Per parameter path: how many updates it had a gradient in. */
  private readonly parameterSteps = new Map<string, number>();
  /** Slot tensors given out by `state()` since the last update: never written in place. */
  private readonly handedOut = new Set<Tensor>();

  constructor(model: ParameterSource, learningRate: number) {
    if (!model || typeof model.namedParameters !== 'function') {
      throw new TensorLoopError(`${this.constructor.name}: expected a model with namedParameters()`);
    }
    checkHyperparameter(this.constructor.name, 'learningRate', learningRate, 0, Infinity);
    this.learningRate = learningRate;
  }

  /** Moves `param` and its `state` in place by one step with the optimizer's update op;
   * `step` is this parameter's own step count, from 1. `update` calls it only with storage
   * the optimizer owns alone. */
  protected abstract applyUpdate(param: Tensor, grad: Tensor, state: SlotState, step: number): void;

  /** Hyperparameters other than the learning rate, for checkpoints and logs; loadState
   * sets them back (they are fields of the same names). */
  abstract hyperparameters(): Record<string, number | boolean>;

  /** Throws unless `h` (a full set, as hyperparameters() returns) is valid for this
   * optimizer, including that it keeps the same state slots (SGD's momentum cannot go
   * from 0 to 0.9 by a load: the velocity state would be missing). */
  protected abstract checkHyperparameters(h: Record<string, number | boolean>): void;

  /** Applies one step: every parameter that has a gradient in `grads` moves. */
  update(model: ParameterSource, grads: Map<string, Tensor>): void {
    const name = this.constructor.name;
    if (typeof model?.namedParameters !== 'function') {
      throw new TensorLoopError(`${name}.update: expected a model with namedParameters(), got ${describeValue(model)}`);
    }
    if (!(grads instanceof Map)) {
      throw new TensorLoopError(`${name}.update: grads must be a Map from parameter path to gradient Tensor, got ${describeValue(grads)}`);
    }
    checkHyperparameter(name, 'learningRate', this.learningRate, 0, Infinity);
    const named = model.namedParameters();
    const byPath = new Map(named);
    for (const [path, g] of grads) {
      const p = byPath.get(path);
      if (!p) throw new TensorLoopError(`${name}.update: gradient for '${path}', which is not a parameter of the model`);
      if (!(g instanceof Tensor)) throw new TensorLoopError(`${name}.update: the gradient for '${path}' must be a Tensor, got ${describeValue(g)}`);
      if (g.isDisposed) throw new TensorLoopError(`${name}.update: the gradient for '${path}' was disposed`);
      if (g.shape.length !== p.shape.length || g.shape.some((d, i) => d !== p.shape[i])) {
        throw new TensorLoopError(`${name}.update: gradient for '${path}' has shape ${shapeString(g.shape)}, parameter has ${shapeString(p.shape)}`);
      }
      if (g.device !== p.device) throw new TensorLoopError(`${name}.update: gradient for '${path}' is on ${g.device.name}, parameter on ${p.device.name}`);
    }
    this.step += 1;
    noGrad(() => {
      for (const [path, param] of named) {
        const grad = grads.get(path);
        if (!grad) continue;
        const step = (this.parameterSteps.get(path) ?? 0) + 1;
        const old = this.slots.get(path);
        const state = tidy(() => {
          const current = old ?? Object.fromEntries(this.slotNames.map((s) => [s, zeros(param.shape, { device: param.device })]));
          // copy-on-write (see the header): the update may only write storage nobody else sees
          if (param.storage.refCount > 1) param.assign(mul(param, 1));
          const own = Object.fromEntries(Object.entries(current).map(([slot, t]) => [slot, this.isShared(t) ? mul(t, 1) : t]));
          this.applyUpdate(param, grad, own, step);
          return own;
        });
        for (const t of Object.values(state)) keep(t);
        if (old) for (const t of Object.values(old)) if (!Object.values(state).includes(t)) t.dispose();
        if (this.slotNames.length > 0) this.slots.set(path, state);
        this.parameterSteps.set(path, step);
      }
    });
    this.handedOut.clear();
  }

  /** Whether a state tensor's storage is seen by anything but this optimizer. */
  private isShared(t: Tensor): boolean {
    return t.storage.refCount > 1 || this.handedOut.has(t);
  }

  /** The state to save: step, hyperparameters and the slot tensors (not copies). They hold
   * this step's values until the next update, which disposes them (on every device: a
   * fused update writes copies of tensors handed out here, not the tensors). */
  state(): OptimizerState {
    const tensors: [string, Tensor][] = [];
    for (const [path, slots] of this.slots) {
      for (const [slot, t] of Object.entries(slots)) {
        tensors.push([`${slot}/${path}`, t]);
        this.handedOut.add(t);
      }
    }
    return {
      type: this.constructor.name,
      step: this.step,
      parameterSteps: Object.fromEntries(this.parameterSteps),
      hyperparameters: { learningRate: this.learningRate, ...this.hyperparameters() },
      tensors,
    };
  }

  /** Restores saved state. The tensors are shared, not copied (tensors are immutable);
   * the caller still owns and may dispose its own.
   * Checks everything before changing anything. */
  loadState(state: OptimizerState): void {
    const name = this.constructor.name;
    if (state.type !== name) throw new TensorLoopError(`${name}.loadState: the state is of a ${state.type}`);
    if (!Number.isInteger(state.step) || state.step < 0) throw new TensorLoopError(`${name}.loadState: bad step ${state.step}`);
    const slots = new Map<string, Record<string, Tensor>>();
    for (const [key, t] of state.tensors) {
      const cut = key.indexOf('/');
      const slot = key.slice(0, cut);
      if (cut < 0 || !this.slotNames.includes(slot)) throw new TensorLoopError(`${name}.loadState: unknown state tensor '${key}' (slots: ${this.slotNames.join(', ') || 'none'})`);
      const path = key.slice(cut + 1);
      slots.set(path, { ...slots.get(path), [slot]: t });
    }
    for (const [path, s] of slots) {
      const missing = this.slotNames.filter((slot) => !s[slot]);
      if (missing.length > 0) throw new TensorLoopError(`${name}.loadState: '${path}' lacks state ${missing.join(', ')}`);
    }
    if (state.parameterSteps !== undefined && (typeof state.parameterSteps !== 'object' || state.parameterSteps === null || Array.isArray(state.parameterSteps))) {
      throw new TensorLoopError(`${name}.loadState: parameterSteps must map parameter paths to step counts`);
    }
    const parameterSteps = state.parameterSteps ?? Object.fromEntries([...slots.keys()].map((path) => [path, state.step]));
    for (const [path, count] of Object.entries(parameterSteps)) {
      if (!Number.isInteger(count) || count < 0 || count > state.step) throw new TensorLoopError(`${name}.loadState: bad step ${count} for '${path}' (the optimizer's step is ${state.step})`);
    }
    const hyperparameters = this.savedHyperparameters(state.hyperparameters ?? {});
    this.disposeState();
    Object.assign(this, hyperparameters);
    for (const [path, count] of Object.entries(parameterSteps)) this.parameterSteps.set(path, count);
    for (const [path, s] of slots) {
      const copy: SlotState = {};
      for (const [slot, t] of Object.entries(s)) copy[slot] = keep(t.view(t.shape));
      this.slots.set(path, copy);
    }
    this.step = state.step;
    if (typeof state.hyperparameters.learningRate === 'number') this.learningRate = state.hyperparameters.learningRate;
  }

  /** This optimizer's hyperparameters with the saved ones in their place (one missing from
   * an older checkpoint keeps its value), checked. */
  private savedHyperparameters(saved: Record<string, number | boolean>): Record<string, number | boolean> {
    const name = this.constructor.name;
    const current = this.hyperparameters();
    const merged = { ...current };
    for (const [key, value] of Object.entries(saved)) {
      if (key === 'learningRate') continue;
      if (!(key in current)) throw new TensorLoopError(`${name}.loadState: unknown hyperparameter ${key} (${name} has ${Object.keys(current).join(', ')})`);
      if (typeof value !== typeof current[key]) throw new TensorLoopError(`${name}.loadState: hyperparameter ${key} = ${JSON.stringify(value)} should be a ${typeof current[key]}`);
      merged[key] = value;
    }
    try {
      this.checkHyperparameters(merged);
    } catch (error) {
      throw error instanceof TensorLoopError ? new TensorLoopError(`${name}.loadState: ${error.message}`) : error;
    }
    return merged;
  }

  /** Moves the state tensors to `device` (after moving the model there). */
  async to(device: Device): Promise<this> {
    for (const slots of this.slots.values()) {
      for (const [slot, t] of Object.entries(slots)) {
        if (t.device === device) continue;
        slots[slot] = keep(fromData(await t.data(), t.shape, device));
        t.dispose();
      }
    }
    return this;
  }

  /** Frees the state tensors; the next update starts from zeros again (and each
   * parameter's step count from 0). */
  disposeState(): void {
    for (const slots of this.slots.values()) for (const t of Object.values(slots)) t.dispose();
    this.slots.clear();
    this.parameterSteps.clear();
    this.handedOut.clear();
  }
}

/** Throws unless `value` is a finite number in [low, high) (high may be Infinity). */
export function checkHyperparameter(owner: string, name: string, value: number, low: number, high: number): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < low || value >= high || value === -Infinity) {
    throw new TensorLoopError(`${owner}: ${name} must be in [${low}, ${high}), got ${value}`);
  }
}
