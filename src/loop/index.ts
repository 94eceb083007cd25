// The training loop's public API: the loop, its events, actions, state and metrics, and
// the built-in callbacks.
export { TrainingLoop, type TrainingLoopOptions, type FitOptions, type LossFunction, type DifferentiableStep } from './training-loop.js';
export { TRAINING_LOOP_EVENTS, type TrainingLoopEvent } from './events.js';
export { TrainingLoopAction, type TrainingLoopActionKind } from './actions.js';
export type { TrainingLoopState, LoopModel, LoopOptimizer } from './state.js';
export { CallbackError, type TrainingLoopCallback, type TrainingLoopCallbackFunction, type TrainingLoopCallbackObject, type EventMethodName } from './callback.js';
export { History } from './history.js';
export { METRIC_NAMES, matthewsCorrelation, type MetricName, type Metric, type MetricFunction, type MetricSpec } from './metrics.js';
export { predict } from './predict.js';
export type { ClassWeight } from './class-weight.js';
export { StatisticsRecorder, type ReportTrigger, type StatisticsEntry } from './statistics-recorder.js';
export { ProgressPrinter, progressBar, type ProgressPrinterOptions, type ProgressOutput } from './callbacks/progress-printer.js';
export { CSVLogger, type CSVLoggerOptions } from './callbacks/csv-logger.js';
export {
  LearningRateSchedule,
  ScheduleSegment,
  makeSchedule,
  linear,
  constant,
  cosine,
  exponential,
  type ScheduleShape,
  type ScheduleShapeFunction,
  type ScheduleSegmentOptions,
} from './callbacks/learning-rate-schedule.js';
export { learningRateScheduler, LearningRateScheduler, type LearningRateSchedulerOptions } from './callbacks/learning-rate-scheduler.js';
export { tensorBoardStatisticsLogger, TensorBoardStatisticsLogger, type TensorBoardLoggerOptions } from './callbacks/tensorboard.js';
export { terminateOnNaN, TerminateOnNaN, type TerminateOnNaNOptions } from './callbacks/terminate-on-nan.js';
export { earlyStopping, EarlyStopping, type EarlyStoppingOptions } from './callbacks/early-stopping.js';
export { reduceLearningRateOnPlateau, ReduceLearningRateOnPlateau, type ReduceLearningRateOnPlateauOptions } from './callbacks/reduce-lr-on-plateau.js';
export { type MonitorMode } from './callbacks/monitor.js';
export { oneCycle, OneCycle, type OneCycleOptions } from './callbacks/one-cycle.js';
export { modelCheckpoint, ModelCheckpoint, type ModelCheckpointOptions } from './callbacks/model-checkpoint.js';
export type { ResumeState } from './resume-state.js';
export { learningRateFinder, type LearningRateFinderOptions, type LearningRateFinderResult } from './callbacks/lr-finder.js';
export type { LearningRateSuggestions } from './callbacks/lr-finder-suggestions.js';
