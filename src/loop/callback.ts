// The two shapes of a callback, and how the loop calls one.
//   - a function `(loop, event) => …`, called for every event (Swift for TensorFlow's form);
//   - an object with a method per event it cares about, `{onEpochEnd(loop) {…}}`, the
//     form of every built-in (CSVLogger, earlyStopping(), …), so a logger is passed as
//     itself: `callbacks: [new CSVLogger()]`.
// Async callbacks are awaited, in list order. An error thrown by a callback (other than a
// TrainingLoopAction, which steers the loop) is rethrown as a CallbackError naming the
// callback, the event, the epoch and the batch, with the original as its `cause`.

import { TensorLoopError } from '../errors.js';
import { TrainingLoopAction } from './actions.js';
import { TRAINING_LOOP_EVENTS, type TrainingLoopEvent } from './events.js';
import type { TrainingLoopState } from './state.js';

/** `(loop, event) => …`: called for every event. */
export type TrainingLoopCallbackFunction = (loop: TrainingLoopState, event: TrainingLoopEvent) => void | Promise<void>;

/** `onFitStart` … `onInferencePredictionEnd`: the method called for each event. */
export type EventMethodName = `on${Capitalize<TrainingLoopEvent>}`;

/** An object with a method per event it handles (any subset), e.g. `{onEpochEnd(loop) {…}}`.
 * `name`, when given, is what error messages call it (else its class name). */
export type TrainingLoopCallbackObject = { readonly name?: string } & {
  [K in EventMethodName]?: (loop: TrainingLoopState, event: TrainingLoopEvent) => void | Promise<void>;
};

export type TrainingLoopCallback = TrainingLoopCallbackFunction | TrainingLoopCallbackObject;

/** `batchEnd` → `onBatchEnd`. */
export function eventMethodName(event: TrainingLoopEvent): EventMethodName {
  return `on${event[0]!.toUpperCase()}${event.slice(1)}` as EventMethodName;
}

const METHOD_NAMES = TRAINING_LOOP_EVENTS.map(eventMethodName);

/** What messages call a callback: its `name`, its function name or its class name. */
export function callbackName(callback: TrainingLoopCallback): string {
  if (typeof callback === 'function') return callback.name || 'an anonymous function';
  if (typeof callback.name === 'string' && callback.name) return callback.name;
  const className = Object.getPrototypeOf(callback)?.constructor?.name;
  return className && className !== 'Object' ? className : 'an object';
}

/** Throws unless `callback` is a function or an object with at least one event method. */
export function checkCallback(owner: string, callback: unknown, index: number): asserts callback is TrainingLoopCallback {
  if (typeof callback === 'function') return;
  if (callback && typeof callback === 'object') {
    const methods = METHOD_NAMES.filter((m) => typeof (callback as Record<string, unknown>)[m] === 'function');
    if (methods.length > 0) return;
    throw new TensorLoopError(
      `${owner}: callback ${index} (${callbackName(callback as TrainingLoopCallbackObject)}) has no event method; ` +
        `give it one of ${METHOD_NAMES.slice(0, 4).join(', ')} … (or pass a function (loop, event) => …)`,
    );
  }
  throw new TensorLoopError(`${owner}: callback ${index} must be a function (loop, event) => … or an object with event methods such as onEpochEnd, got ${callback === null ? 'null' : typeof callback}`);
}

/** A callback failed: which one, at which event, epoch and batch; `cause` is the original error. */
export class CallbackError extends TensorLoopError {
  override name = 'CallbackError';
  constructor(
    readonly callback: string,
    readonly event: TrainingLoopEvent,
    readonly epochIndex: number | undefined,
    readonly batchIndex: number | undefined,
    where: string,
    cause: unknown,
  ) {
    super(`TrainingLoop: callback ${callback} threw at ${event} (${where}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** `epoch 2/5, training batch 3/10` — where the loop is, 1-based, for messages. */
export function describePosition(loop: TrainingLoopState, event: TrainingLoopEvent): string {
  const parts: string[] = [];
  if (loop.epochIndex !== undefined) parts.push(`epoch ${loop.epochIndex + 1}/${loop.epochCount ?? '?'}`);
  const inBatch = event === 'batchStart' || event === 'batchEnd' || event === 'updateStart' || event === 'inferencePredictionEnd';
  if (inBatch && loop.batchIndex !== undefined) parts.push(`${loop.isTraining ? 'training' : 'validation'} batch ${loop.batchIndex + 1}/${loop.batchCount ?? '?'}`);
  return parts.join(', ') || 'outside any epoch';
}

/** Calls one callback for `event` and wraps what it throws (see the header). */
export async function invokeCallback(callback: TrainingLoopCallback, index: number | undefined, loop: TrainingLoopState, event: TrainingLoopEvent): Promise<void> {
  try {
    if (typeof callback === 'function') {
      await callback(loop, event);
    } else {
      const method = callback[eventMethodName(event)];
      if (typeof method === 'function') await method.call(callback, loop, event);
    }
  } catch (error) {
    if (error instanceof TrainingLoopAction || error instanceof CallbackError) throw error;
    throw new CallbackError(index === undefined ? callbackName(callback) : `${index} (${callbackName(callback)})`, event, loop.epochIndex, loop.batchIndex, describePosition(loop, event), error);
  }
}

/** The function form of a callback object, `(loop, event) => object.on<Event>(loop, event)`:
 * the S4TF spelling `recorder.record`, `logger.log` of the built-ins. */
export function asFunction(callback: TrainingLoopCallbackObject): TrainingLoopCallbackFunction {
  return (loop, event) => callback[eventMethodName(event)]?.call(callback, loop, event);
}
