// The default callback that measures the metrics (S4TF's `StatisticsRecorder`). At
// `trainingStart` and `validationStart` it resets; at every `batchEnd` whose step ran it
// adds the batch's statistics into one small accumulator tensor on the device (no
// readback); when a report is due it reads that tensor back once and sets
// `loop.lastStatsLog`, the running aggregate of the phase so far.
//
// Report triggers: 'endOfBatch' (default, as S4TF: one readback per batch), 'endOfEpoch'
// (only at the last batch of each phase: one readback per phase), or a number n (every
// n-th batch and the last). A phase that ends early (cancelled) is reported at its End
// event, so the epoch totals are always complete.

import { noGrad } from '../autodiff/tape.js';
import { TensorLoopError } from '../errors.js';
import { keep } from '../memory.js';
import { add } from '../ops/elementwise.js';
import { type Tensor, zeros } from '../tensor.js';
import { asFunction, describePosition } from './callback.js';
import { type AccumulatedMetric, METRIC_NAMES, type Metric, type MetricSpec, flattenStatistics, functionMetric, makeMetric } from './metrics.js';
import type { TrainingLoopState } from './state.js';

export type ReportTrigger = 'endOfBatch' | 'endOfEpoch' | number;

export interface StatisticsEntry {
  name: string;
  value: number;
}

export class StatisticsRecorder {
  readonly name = 'StatisticsRecorder';
  /** Loss first, then the metrics in the order given. */
  readonly metrics: (AccumulatedMetric | Metric)[];
  /** Where the one-line warning about a non-finite loss goes (default console.warn). */
  warn: (message: string) => void = (message) => console.warn(message);
  reportTrigger: ReportTrigger = 'endOfBatch';
  /** How many times the accumulator was read back (one per report). */
  readbacks = 0;
  private deviceTotal: Tensor | undefined;
  private hostTotal: number[] = [];
  private layout: { deviceSizes: number[]; hostSizes: number[] } | undefined;
  private unreported = false;
  private warned = false;

  constructor(metrics: readonly MetricSpec[]) {
    const specs: MetricSpec[] = ['loss', ...metrics.filter((m) => m !== 'loss')];
    this.metrics = specs.map((m, i) => {
      if (typeof m === 'string') return makeMetric(m);
      if (typeof m === 'function') return functionMetric(m);
      if (m && typeof m === 'object' && typeof m.name === 'string' && ['reset', 'update', 'result'].every((k) => typeof (m as unknown as Record<string, unknown>)[k] === 'function')) return m;
      throw new TensorLoopError(
        `StatisticsRecorder: metric ${i - 1} must be a name (${METRIC_NAMES.join(', ')}), a function (output, target) => scalar tensor, ` +
          'or a Metric object {name, reset(), update(output, target), result()}',
      );
    });
  }

  setReportTrigger(trigger: ReportTrigger): void {
    if (typeof trigger === 'number' && !(Number.isInteger(trigger) && trigger >= 1)) {
      throw new TensorLoopError(`StatisticsRecorder: a report every n batches needs an integer n ≥ 1, got ${trigger}`);
    }
    this.reportTrigger = trigger;
  }

  onFitStart(): void {
    this.warned = false;
  }

  onTrainingStart(loop: TrainingLoopState): void {
    this.reset();
    loop.lastStatsLog = undefined;
  }

  onValidationStart(loop: TrainingLoopState): void {
    this.onTrainingStart(loop);
  }

  async onBatchEnd(loop: TrainingLoopState): Promise<void> {
    const { lastStepLoss, lastStepOutput, lastStepTarget } = loop;
    if (!lastStepLoss || !lastStepOutput || !lastStepTarget) return; // the step was cancelled before its loss
    await this.accumulate(lastStepLoss, lastStepOutput, lastStepTarget);
    if (this.reportDue(loop.batchIndex ?? 0, loop.batchCount ?? 0)) this.report(loop, await this.measure());
  }

  /** A phase that ended early (cancelled) is reported here, so the phase totals are complete. */
  async onTrainingEnd(loop: TrainingLoopState): Promise<void> {
    if (this.unreported) this.report(loop, await this.measure());
  }

  async onValidationEnd(loop: TrainingLoopState): Promise<void> {
    await this.onTrainingEnd(loop);
  }

  /** The function form, `callbacks: [recorder.record]` (S4TF's spelling). */
  readonly record = asFunction(this);

  /** Frees the accumulator (the loop calls this when fit ends, however it ends). */
  reset(): void {
    this.deviceTotal?.dispose();
    this.deviceTotal = undefined;
    this.hostTotal = [];
    this.layout = undefined;
    this.unreported = false;
    for (const m of this.metrics) if (!isAccumulated(m)) m.reset();
  }

  /** Sets lastStatsLog; the first non-finite loss of a fit gets one warning line (the
   * running mean stays non-finite from then on, so one line says it all). */
  private report(loop: TrainingLoopState, log: StatisticsEntry[] | undefined): void {
    loop.lastStatsLog = log;
    const loss = log?.[0]?.value;
    if (this.warned || loss === undefined || Number.isFinite(loss)) return;
    this.warned = true;
    this.warn(
      `warning: the ${loop.isTraining ? 'training' : 'validation'} loss is ${loss} at ${describePosition(loop, 'batchEnd')}; ` +
        'the weights are likely ruined (lower the learning rate, clip gradients, or add terminateOnNaN() to stop at once)',
    );
  }

  private reportDue(batchIndex: number, batchCount: number): boolean {
    const last = batchIndex + 1 === batchCount;
    if (this.reportTrigger === 'endOfBatch') return true;
    if (this.reportTrigger === 'endOfEpoch') return last;
    return last || (batchIndex + 1) % this.reportTrigger === 0;
  }

  private async accumulate(loss: Tensor, output: Tensor, target: Tensor): Promise<void> {
    for (const m of this.metrics) if (!isAccumulated(m)) await m.update(output, target);
    noGrad(() => {
      const stats = flattenStatistics(this.metrics.filter(isAccumulated).map((m) => m.statistics({ loss, output, target })));
      const layout = { deviceSizes: stats.deviceSizes, hostSizes: stats.hostSizes };
      if (this.layout && JSON.stringify(layout) !== JSON.stringify(this.layout)) {
        throw new TensorLoopError(
          `StatisticsRecorder: batch statistics changed layout within a phase (${JSON.stringify(this.layout)} → ${JSON.stringify(layout)}); ` +
            'is the number of classes changing between batches?',
        );
      }
      this.layout = layout;
      if (stats.device) {
        this.deviceTotal ??= keep(zeros(stats.device.shape, { device: stats.device.device }));
        this.deviceTotal.assign(add(this.deviceTotal, stats.device));
      }
      this.hostTotal = stats.host.map((v, i) => v + (this.hostTotal[i] ?? 0));
    });
    this.unreported = true;
  }

  /** Reads the device totals back (the one readback) and measures every metric. */
  private async measure(): Promise<StatisticsEntry[] | undefined> {
    if (!this.layout) return undefined;
    const device = this.deviceTotal ? Float64Array.from(await this.deviceTotal.data()) : new Float64Array();
    this.readbacks += 1;
    this.unreported = false;
    let d = 0;
    let h = 0;
    let i = 0;
    const { deviceSizes, hostSizes } = this.layout;
    const log: StatisticsEntry[] = [];
    for (const metric of this.metrics) {
      if (isAccumulated(metric)) {
        log.push({ name: metric.name, value: metric.measure(device.subarray(d, d + deviceSizes[i]!), this.hostTotal.slice(h, h + hostSizes[i]!)) });
        d += deviceSizes[i]!;
        h += hostSizes[i]!;
        i += 1;
      } else {
        log.push({ name: metric.name, value: await metric.result() });
      }
    }
    return log;
  }
}

function isAccumulated(m: AccumulatedMetric | Metric): m is AccumulatedMetric {
  return typeof (m as AccumulatedMetric).statistics === 'function';
}
