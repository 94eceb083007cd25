// The twelve moments of the training loop a callback can hook into, with the names of
// Swift for TensorFlow's `TrainingLoopEvent`. Order per fit:
//   fitStart, then per epoch: epochStart,
//     trainingStart, per batch: batchStart → forward, loss, backward → updateStart → update → batchEnd,
//     trainingEnd,
//     validationStart, per batch: batchStart → forward → inferencePredictionEnd → loss → batchEnd,
//     validationEnd,
//   epochEnd; and fitEnd.

export const TRAINING_LOOP_EVENTS = [
  'fitStart',
  'fitEnd',
  'epochStart',
  'epochEnd',
  'trainingStart',
  'trainingEnd',
  'validationStart',
  'validationEnd',
  'batchStart',
  'batchEnd',
  /** After the forward and backward pass of a training batch, before the optimizer update. */
  'updateStart',
  /** After the forward pass of a validation batch, before its loss. */
  'inferencePredictionEnd',
] as const;

export type TrainingLoopEvent = (typeof TRAINING_LOOP_EVENTS)[number];
