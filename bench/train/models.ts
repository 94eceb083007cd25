// The two models of the training-step bench, described once so that every engine builds
// the same network from the same initial weights and trains on the same batch.
//
//   LeNet-5  conv 5×5×6 'same' relu → maxpool 2 → conv 5×5×16 'valid' relu → maxpool 2 →
//            flatten (400) → dense 120 relu → dense 84 relu → dense 10
//   MLP      784 → dense 512 relu → dense 512 relu → dense 10
//
// Weights are in tensorloop's layouts (NHWC images, HWIO filters, dense [in, out]); an
// engine with other layouts (jax-js: NCHW, OIHW) converts them while loading. Biases start
// at zero in every layer (as tensorloop's layers do); the loss after a few SGD steps still
// checks that each engine's bias gradients agree.

export const BATCH = 128;
export const CLASSES = 10;
export const LEARNING_RATE = 0.05;

export type ModelName = 'LeNet-5' | 'MLP';
export const MODELS: ModelName[] = ['LeNet-5', 'MLP'];

/** One parameter: its name, its shape in tensorloop's layout, its initial values. */
export interface Parameter {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** One layer of a model, in order. */
export type Layer =
  | { kind: 'conv'; weight: string; bias: string; padding: 'same' | 'valid' }
  | { kind: 'maxPool' }
  | { kind: 'flatten' }
  | { kind: 'dense'; weight: string; bias: string; relu: boolean };

export interface ModelSpec {
  name: ModelName;
  layers: Layer[];
  parameters: Parameter[];
}

/** A deterministic stream of floats in [0, 1) (a 32-bit LCG: the same on every engine). */
export function uniform(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

/** Glorot uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)). */
function glorot(shape: number[], seed: number): Float32Array {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const fanIn = shape.at(-2)! * receptive;
  const fanOut = shape.at(-1)! * receptive;
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return uniform(shape.reduce((a, b) => a * b, 1), seed).map((u) => (2 * u - 1) * limit);
}

function weights(name: string, shape: number[], seed: number): Parameter[] {
  const out = shape.at(-1)!;
  return [
    { name: `${name}.weight`, shape, data: glorot(shape, seed) },
    { name: `${name}.bias`, shape: [out], data: new Float32Array(out) },
  ];
}

export function modelSpec(name: ModelName): ModelSpec {
  const conv = (n: string, padding: 'same' | 'valid'): Layer => ({ kind: 'conv', weight: `${n}.weight`, bias: `${n}.bias`, padding });
  const dense = (n: string, relu: boolean): Layer => ({ kind: 'dense', weight: `${n}.weight`, bias: `${n}.bias`, relu });
  if (name === 'LeNet-5') {
    return {
      name,
      layers: [conv('conv1', 'same'), { kind: 'maxPool' }, conv('conv2', 'valid'), { kind: 'maxPool' }, { kind: 'flatten' }, dense('fc1', true), dense('fc2', true), dense('fc3', false)],
      parameters: [
        ...weights('conv1', [5, 5, 1, 6], 1),
        ...weights('conv2', [5, 5, 6, 16], 2),
        ...weights('fc1', [400, 120], 3),
        ...weights('fc2', [120, 84], 4),
        ...weights('fc3', [84, 10], 5),
      ],
    };
  }
  return {
    name,
    layers: [{ kind: 'flatten' }, dense('fc1', true), dense('fc2', true), dense('fc3', false)],
    parameters: [...weights('fc1', [784, 512], 11), ...weights('fc2', [512, 512], 12), ...weights('fc3', [512, 10], 13)],
  };
}

/** The batch every engine trains on: images [BATCH, 28, 28, 1] in [0, 1), labels 0-9. */
export interface Batch {
  images: Float32Array;
  labels: Int32Array;
}

export function makeBatch(): Batch {
  const images = uniform(BATCH * 28 * 28, 7);
  const labels = Int32Array.from(uniform(BATCH, 8), (u) => Math.floor(u * CLASSES));
  return { images, labels };
}

/** One engine's training step on one model: `step()` runs forward, softmax cross-entropy,
 * backward and the SGD update, and resolves to the loss read back as a number. */
export interface Trainer {
  step(): Promise<number>;
  /** Runs before a round of timed steps (e.g. TensorFlow.js selects its backend). */
  activate?(): Promise<void>;
  dispose(): void;
}

export interface Engine {
  /** `tensorloop cpu`, `jax-js wasm`, … */
  name: string;
  /** Starts the backend; a string says why the engine is unavailable. */
  init(): Promise<string | undefined>;
  trainer(spec: ModelSpec, batch: Batch): Promise<Trainer>;
}
