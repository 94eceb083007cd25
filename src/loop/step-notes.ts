// The loop frees a batch's tensors when the batch ends (its memory scope closes), and
// `lastStepInput` … `lastStepGradient` still point at them until the next batch starts. A
// callback that stored one and uses it later would get the bare "tensor … was disposed";
// instead each tensor the closing scope freed carries a note (Tensor.disposalNote, appended
// to that error) naming the state it was, its batch, and `keep()`.

import type { Tensor } from '../tensor.js';
import type { TrainingLoopState } from './state.js';

/** Call before the batch's scope closes; call what it returns after: it notes each
 * lastStep* tensor that was live before and is freed now. */
export function noteStepTensorsFreed(loop: TrainingLoopState): () => void {
  const named: [string, Tensor][] = [];
  const add = (name: string, t: Tensor | undefined) => t && !t.isDisposed && named.push([name, t]);
  add('lastStepInput', loop.lastStepInput);
  add('lastStepTarget', loop.lastStepTarget);
  add('lastStepOutput', loop.lastStepOutput);
  add('lastStepLoss', loop.lastStepLoss);
  for (const [path, g] of loop.lastStepGradient ?? []) add(`lastStepGradient.get('${path}')`, g);
  const batch = `${loop.isTraining ? 'training' : 'validation'} batch ${(loop.batchIndex ?? 0) + 1}/${loop.batchCount ?? '?'}`;
  const where = loop.epochIndex === undefined ? batch : `${batch} of epoch ${loop.epochIndex + 1}`;
  return () => {
    for (const [name, t] of named) {
      if (!t.isDisposed || t.disposalNote !== undefined) continue;
      t.disposalNote =
        `it was the loop's ${name} of ${where}, freed when that batch ended; ` +
        `to use it later, keep() it during the batch (e.g. at batchEnd: const saved = keep(loop.${name})) and dispose() it when done`;
    }
  };
}
