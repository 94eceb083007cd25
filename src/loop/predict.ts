// `predict(model, batches)`: the model's outputs for a collection of batches, in
// evaluation mode and without a gradient tape, concatenated along the first axis into one
// tensor that the caller owns (it is kept: dispose it when done). Each batch runs in its
// own memory scope, so the inputs a dataset makes on the fly are freed as it goes.
//   const probabilities = softmax(await predict(model, dataset.validation));

import { noGrad } from '../autodiff/tape.js';
import type { LabeledBatch } from '../data/batches.js';
import { TensorLoopError } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { concat } from '../ops/movement.js';
import type { Tensor } from '../tensor.js';
import type { LoopModel } from './state.js';
import { eventLoopTurn } from '../platform.js';

/** Batches may be `{data, label}` (the label is ignored) or bare input tensors. */
export async function predict(model: LoopModel, batches: Iterable<LabeledBatch | Tensor>): Promise<Tensor> {
  if (!model || typeof model.forward !== 'function') throw new TensorLoopError('predict: model must have a forward(x) method');
  if (!batches || typeof (batches as Iterable<unknown>)[Symbol.iterator] !== 'function') throw new TensorLoopError('predict: batches must be an iterable of batches or tensors');
  const wasTraining = (model as { training?: boolean }).training === true;
  model.eval?.();
  const outputs: Tensor[] = [];
  try {
    const iterator = batches[Symbol.iterator]();
    for (let index = 0; ; index++) {
      await eventLoopTurn();
      const output = tidy(() => {
        const next = iterator.next();
        if (next.done) return undefined;
        const input = isTensor(next.value) ? next.value : next.value?.data;
        if (!isTensor(input)) throw new TensorLoopError(`predict: batch ${index} is neither a tensor nor {data, label}`);
        return noGrad(() => model.forward(input));
      });
      if (!output) break;
      outputs.push(keep(output));
    }
    if (outputs.length === 0) throw new TensorLoopError('predict: batches is empty');
    if (outputs.length === 1) return outputs.pop()!;
    return keep(tidy(() => concat(outputs, 0)));
  } finally {
    for (const t of outputs) t.dispose();
    if (wasTraining) model.train?.();
  }
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && (x as { isTensor?: boolean }).isTensor === true;
}
