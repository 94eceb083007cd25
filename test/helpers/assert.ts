// Shared test helpers: closeness with tolerances, and gradient checks against central
// finite differences computed in float64.

import * as assert from 'uvu/assert';
import type { Tensor } from '../../src/tensor.js';
import { fromData } from '../../src/tensor.js';
import { grad } from '../../src/autodiff/gradients.js';

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/** |actual - expected| <= atol + rtol·|expected| elementwise; NaN matches NaN. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, { atol = 1e-5, rtol = 1e-4 }: Tolerance = {}, what = ''): void {
  assert.is(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      assert.unreachable(`${what} element ${i}: got ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

export async function assertTensorClose(actual: Tensor, expected: Tensor | ArrayLike<number>, tolerance?: Tolerance, what = ''): Promise<void> {
  const e = 'isTensor' in (expected as object) ? await (expected as Tensor).data() : (expected as ArrayLike<number>);
  if ('isTensor' in (expected as object)) assert.equal([...actual.shape], [...(expected as Tensor).shape], `${what} shape`);
  assertClose(await actual.data(), e, tolerance, what);
}

/** Checks grad(f) against central differences (f(x+h) - f(x-h)) / 2h, each evaluated on
 * the inputs perturbed one element at a time; the quotient is formed in float64. */
export async function checkGradient(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], { h = 1e-2, atol = 2e-3, rtol = 2e-2 }: { h?: number } & Tolerance = {}): Promise<void> {
  const analytic = grad(f)(...inputs);
  for (let k = 0; k < inputs.length; k++) {
    const x = inputs[k]!;
    const base = Float64Array.from(await x.data());
    const numeric = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const at = async (delta: number): Promise<number> => {
        const shifted = Float32Array.from(base);
        shifted[i] = base[i]! + delta;
        const xs = inputs.slice();
        xs[k] = fromData(shifted, x.shape, x.device);
        return (await f(...xs).data())[0]!;
      };
      numeric[i] = ((await at(h)) - (await at(-h))) / (2 * h);
    }
    assertClose(await analytic[k]!.data(), numeric, { atol, rtol }, `gradient of input ${k}`);
  }
}
