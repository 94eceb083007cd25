// Test helper: checks the gradient of a layer's output with respect to its input and to
// each named parameter against finite differences, by swapping the parameter fields.
import type { Module } from '../../src/nn/module.js';
import { type Tensor, randn } from '../../src/tensor.js';
import { mul, sum } from '../../src/ops/index.js';
import { keep } from '../../src/memory.js';
import { checkGradient } from '../helpers/assert.js';

function setPath(root: object, path: string, value: Tensor): void {
  const parts = path.split('.');
  let at = root as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) at = at[p] as Record<string, unknown>;
  at[parts[parts.length - 1]!] = value;
}

/** loss = Σ y·r for a fixed random r, so every output element matters. */
export async function checkLayerGradient(layer: Module, x: Tensor, { differentiateInput = true, tolerance = {} }: { differentiateInput?: boolean; tolerance?: { atol?: number; rtol?: number; h?: number } } = {}): Promise<void> {
  const params = layer.namedParameters();
  const originals = params.map(([, t]) => t);
  let projection: Tensor | undefined;
  const f = (...xs: Tensor[]): Tensor => {
    const input = differentiateInput ? xs[0]! : x;
    const ps = differentiateInput ? xs.slice(1) : xs;
    params.forEach(([path], i) => setPath(layer, path, ps[i]!));
    try {
      const y = layer.forward(input);
      projection ??= keep(randn(y.shape, { seed: 77 }));
      return sum(mul(y, projection));
    } finally {
      params.forEach(([path], i) => setPath(layer, path, originals[i]!));
    }
  };
  await checkGradient(f, differentiateInput ? [x, ...originals] : originals, tolerance);
}
