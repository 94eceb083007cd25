// Steering the loop from a callback: throw a `TrainingLoopAction`. Each is caught at one
// scope, after which that scope's End event still fires:
//   cancelBatch       batchStart + this batch's step      → batchEnd, next batch
//   cancelTraining    trainingStart + all training batches → trainingEnd, validation
//   cancelValidation  validationStart + validation batches → validationEnd, epochEnd
//   cancelEpoch       epochStart … validationEnd           → epochEnd, next epoch
//   cancelFit         fitStart … all epochs                → fitEnd
// An action thrown outside its scope (cancelBatch at batchEnd, anything at fitEnd)
// escapes `fit` like any other error.

export type TrainingLoopActionKind = 'cancelBatch' | 'cancelTraining' | 'cancelValidation' | 'cancelEpoch' | 'cancelFit';

export class TrainingLoopAction extends Error {
  constructor(readonly kind: TrainingLoopActionKind) {
    super(`TrainingLoopAction.${kind} was thrown outside the scope that catches it`);
    this.name = 'TrainingLoopAction';
  }

  static get cancelBatch(): TrainingLoopAction {
    return new TrainingLoopAction('cancelBatch');
  }
  static get cancelTraining(): TrainingLoopAction {
    return new TrainingLoopAction('cancelTraining');
  }
  static get cancelValidation(): TrainingLoopAction {
    return new TrainingLoopAction('cancelValidation');
  }
  static get cancelEpoch(): TrainingLoopAction {
    return new TrainingLoopAction('cancelEpoch');
  }
  static get cancelFit(): TrainingLoopAction {
    return new TrainingLoopAction('cancelFit');
  }
}

/** True when `error` is the action `kind` (the one a scope catches). */
export function isAction(error: unknown, kind: TrainingLoopActionKind): boolean {
  return error instanceof TrainingLoopAction && error.kind === kind;
}
