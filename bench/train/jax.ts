// jax-js (`@jax-js/jax`) in the training-step bench, written the way its own MNIST demo
// trains: parameters in a plain object, the loss a function of them, and the whole step —
// value and gradient, then p ← p − η·g for every parameter — one `jit`, so jax-js fuses
// and compiles the step once. jax-js is NCHW with OIHW filters: the spec's HWIO filters
// are transposed, and the first dense layer's rows are permuted from NHWC's flatten order
// (h, w, c) to NCHW's (c, h, w), so both networks compute the same function.
//
// Ownership: jax-js arrays are reference counted and every call consumes its arguments;
// `.ref` (and tree.ref) adds a reference for a value used again.

import type { Array as JaxArray } from '@jax-js/jax';
import { BATCH, type Batch, CLASSES, type Engine, LEARNING_RATE, type ModelSpec, type Trainer } from './models.js';

type Jax = typeof import('@jax-js/jax');
type Params = Record<string, JaxArray>;

/** HWIO [kh, kw, i, o] → OIHW [o, i, kh, kw]. */
function toOIHW(data: Float32Array, [kh, kw, ci, co]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let h = 0; h < kh!; h++)
    for (let w = 0; w < kw!; w++)
      for (let i = 0; i < ci!; i++) for (let o = 0; o < co!; o++) out[((o * ci! + i) * kh! + h) * kw! + w] = data[((h * kw! + w) * ci! + i) * co! + o]!;
  return out;
}

/** Rows of a dense weight [h·w·c, out] reordered from (h, w, c) to (c, h, w). */
function toChannelMajorRows(data: Float32Array, hw: number, channels: number, out: number): Float32Array {
  const result = new Float32Array(data.length);
  for (let p = 0; p < hw; p++)
    for (let c = 0; c < channels; c++) result.set(data.subarray((p * channels + c) * out, (p * channels + c + 1) * out), (c * hw + p) * out);
  return result;
}

export function jaxEngine(device: 'wasm' | 'webgpu'): Engine {
  let jax: Jax;
  return {
    name: `jax-js ${device}`,
    async init() {
      jax = await import('@jax-js/jax');
      const available = await jax.init(device);
      return available.includes(device) ? undefined : `jax-js: no ${device} backend here`;
    },
    async trainer(spec: ModelSpec, batch: Batch): Promise<Trainer> {
      const { jit, lax, nn, numpy: np, tree, valueAndGrad } = jax;
      const shapes = new Map(spec.parameters.map((p) => [p.name, p.shape]));
      let params: Params = {};
      let channels = 1; // channels of the feature map reaching the next flatten
      let spatial = 28 * 28;
      const converted = new Map<string, { data: Float32Array; shape: number[] }>();
      for (const layer of spec.layers) {
        if (layer.kind === 'conv') {
          const shape = shapes.get(layer.weight)!;
          const data = spec.parameters.find((p) => p.name === layer.weight)!.data;
          converted.set(layer.weight, { data: toOIHW(data, shape), shape: [shape[3]!, shape[2]!, shape[0]!, shape[1]!] });
          channels = shape[3]!;
          if (layer.padding === 'valid') spatial = (Math.sqrt(spatial) - shape[0]! + 1) ** 2;
        } else if (layer.kind === 'maxPool') {
          spatial = Math.floor(Math.sqrt(spatial) / 2) ** 2;
        } else if (layer.kind === 'flatten') {
          const next = spec.layers[spec.layers.indexOf(layer) + 1];
          if (next?.kind === 'dense' && channels > 1) {
            const shape = shapes.get(next.weight)!;
            const data = spec.parameters.find((p) => p.name === next.weight)!.data;
            converted.set(next.weight, { data: toChannelMajorRows(data, spatial, channels, shape[1]!), shape });
          }
        }
      }
      for (const p of spec.parameters) {
        const { data, shape } = converted.get(p.name) ?? p;
        // conv biases broadcast over NCHW as [c, 1, 1]
        const isConvBias = spec.layers.some((l) => l.kind === 'conv' && l.bias === p.name);
        params[p.name] = np.array(data.slice(), { shape: isConvBias ? [shape[0]!, 1, 1] : shape, device });
      }

      const predict = (p: Params, x: JaxArray): JaxArray => {
        let y = x;
        for (const layer of spec.layers) {
          if (layer.kind === 'conv') {
            y = nn.relu(lax.convGeneralDilated(y, p[layer.weight]!, [1, 1], layer.padding === 'same' ? 'SAME' : 'VALID').add(p[layer.bias]!));
          } else if (layer.kind === 'maxPool') {
            y = lax.reduceWindow(y, np.max, [2, 2], [2, 2]);
          } else if (layer.kind === 'flatten') {
            y = y.reshape([BATCH, -1]);
          } else {
            y = np.dot(y, p[layer.weight]!).add(p[layer.bias]!);
            if (layer.relu) y = nn.relu(y);
          }
        }
        return y;
      };
      // softmax cross-entropy with integer labels, the batch mean
      const loss = (p: Params, x: JaxArray, y: JaxArray): JaxArray =>
        nn
          .logSoftmax(predict(p, x))
          .mul(nn.oneHot(y, CLASSES))
          .sum()
          .mul(-1 / BATCH);
      const step = jit((p: Params, x: JaxArray, y: JaxArray) => {
        const [value, grads] = valueAndGrad(loss)(tree.ref(p), x, y);
        const next = tree.map((w: JaxArray, g: JaxArray) => w.sub(g.mul(LEARNING_RATE)), p, grads as Params) as Params;
        return [value, next] as [JaxArray, Params];
      });
      const images = np.array(batch.images.slice(), { shape: [BATCH, 1, 28, 28], device });
      const labels = np.array(batch.labels.slice(), { shape: [BATCH], dtype: np.int32, device });
      return {
        async step() {
          const [value, next] = step(params, images.ref, labels.ref);
          params = next;
          const data = await value.data();
          return data[0]!;
        },
        dispose() {
          tree.dispose(params);
          images.dispose();
          labels.dispose();
          step.dispose();
        },
      };
    },
  };
}
