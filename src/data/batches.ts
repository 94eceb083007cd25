// The Epochs API's shapes: a batch is `{data, label}` tensors on a device; a collection
// of batches knows how many it holds (`count`) and yields them in order. The training
// split is a sequence of such collections, one per epoch (see epochs.ts).

import type { Tensor } from '../tensor.js';

export interface LabeledBatch {
  data: Tensor;
  label: Tensor;
}

/** An ordered, countable sequence of batches. Plain arrays of batches work too. */
export type BatchCollection<B = LabeledBatch> = Iterable<B> & ({ readonly count: number } | { readonly length: number });

/** How many batches a collection holds. */
export function batchCountOf<B>(batches: BatchCollection<B>): number {
  return 'count' in batches ? batches.count : batches.length;
}
