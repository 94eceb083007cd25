// Module: the base of every layer and model. Parameters are found by walking the fields
// of a module: a float Tensor field is a parameter (unless named in `stateNames`, e.g.
// BatchNorm's running statistics), a Module field is a child, and arrays of either are
// numbered. Paths are dotted: `blocks.0.attn.query.weight`. Walking the tree also tells
// each child its path, so a layer's errors can name it: `conv1 (Conv2D): ...`.

import type { Device } from '../device/device.js';
import { TensorLoopError, describeValue, shapeString } from '../errors.js';
import { keep } from '../memory.js';
import { Tensor, disposalNoteOf } from '../tensor.js';

/** The dotted path of each module, learned whenever a parent walks its children. */
const modulePaths = new WeakMap<Module, string>();

export abstract class Module {
  /** True in training mode (Dropout drops, BatchNorm uses batch statistics). */
  training = true;
  /** Fields holding tensors that are state, not trainable parameters. */
  protected readonly stateNames: ReadonlySet<string> = new Set();

  abstract forward(x: Tensor): Tensor;

  /** Every trainable parameter with its dotted path, in field order. */
  namedParameters(): [string, Tensor][] {
    return this.walk('', false);
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Non-trainable state tensors (running statistics), with their paths. */
  namedState(): [string, Tensor][] {
    return this.walk('', true);
  }

  /** Total number of trainable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  /** Direct child modules with their field names. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [name, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([name, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => v instanceof Module && out.push([`${name}.${i}`, v]));
    }
    return out;
  }

  /** Every module below this one (depth first) with its dotted path; records the paths
   * that error messages use. Models call it at the end of their constructor. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [name, child] of this.namedChildren()) {
      const path = prefix + name;
      modulePaths.set(child, path);
      out.push([path, child], ...child.namedModules(`${path}.`));
    }
    return out;
  }

  /** `conv1 (Conv2D)` once a parent has walked to this module, else `Conv2D`. */
  describe(): string {
    const path = modulePaths.get(this);
    return path ? `${path} (${this.constructor.name})` : this.constructor.name;
  }

  /** Every layer's forward starts here: its input must be a live Tensor, else a
   * TensorLoopError naming the layer and the value (not the engine's TypeError later). */
  protected assertInput(x: unknown): asserts x is Tensor {
    if (!(x instanceof Tensor)) throw this.error(`forward expects a Tensor, got ${describeValue(x)}`);
    if (x.isDisposed) throw this.error(`forward got a disposed tensor ${shapeString(x.shape)}${disposalNoteOf(x)}`);
  }

  /** A TensorLoopError whose message starts with this layer's path and class. */
  protected error(message: string): TensorLoopError {
    return new TensorLoopError(`${this.describe()}: ${message}`);
  }

  train(): this {
    this.setTraining(true);
    return this;
  }

  eval(): this {
    this.setTraining(false);
    return this;
  }

  /** Moves every parameter and state tensor to `device` (async: data passes through the host). */
  async to(device: Device): Promise<this> {
    for (const [, t] of [...this.namedParameters(), ...this.namedState()]) {
      if (t.device === device) continue;
      const moved = keep(await t.toAsync(device));
      replaceTensor(this, t, moved);
      t.dispose();
    }
    return this;
  }

  /** Frees every parameter and state tensor. The module is unusable after. */
  dispose(): void {
    for (const [, t] of [...this.namedParameters(), ...this.namedState()]) t.dispose();
  }

  private setTraining(training: boolean): void {
    this.training = training;
    for (const [, child] of this.namedChildren()) child.setTraining(training);
  }

  private walk(prefix: string, state: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, value] of Object.entries(this)) {
      if (name === 'stateNames') continue;
      const path = prefix + name;
      if (value instanceof Tensor) {
        if (value.dtype === 'float32' && this.stateNames.has(name) === state) out.push([path, value]);
      } else if (value instanceof Module) {
        modulePaths.set(value, path);
        out.push(...value.walk(`${path}.`, state));
      } else if (Array.isArray(value)) {
        value.forEach((v, i) => {
          if (v instanceof Module) {
            modulePaths.set(v, `${path}.${i}`);
            out.push(...v.walk(`${path}.${i}.`, state));
          } else if (v instanceof Tensor && v.dtype === 'float32' && this.stateNames.has(name) === state) {
            out.push([`${path}.${i}`, v]);
          }
        });
      }
    }
    return out;
  }
}

/** Points every field of `module` (recursively) that holds `old` at `replacement`. */
function replaceTensor(module: Module, old: Tensor, replacement: Tensor): void {
  const record = module as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(module)) {
    if (value === old) record[name] = replacement;
    else if (value instanceof Module) replaceTensor(value, old, replacement);
    else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (v === old) value[i] = replacement;
        else if (v instanceof Module) replaceTensor(v, old, replacement);
      });
    }
  }
}
