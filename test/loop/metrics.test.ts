// Each metric against values computed by hand, through the StatisticsRecorder that the
// loop uses (device-side accumulation, one readback per report).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Tensor, scalar, tensor, zeros } from '../../src/index.js';
import { type MetricName, matthewsCorrelation, sampleCount } from '../../src/loop/metrics.js';
import type { TrainingLoopState } from '../../src/loop/state.js';
import { StatisticsRecorder } from '../../src/loop/statistics-recorder.js';

interface Batch {
  output: Tensor;
  target: Tensor;
  loss?: number;
}

/** Runs a recorder over one phase of `batches`; the final statistics by name. */
async function measure(metrics: MetricName[], batches: Batch[]): Promise<Record<string, number>> {
  const recorder = new StatisticsRecorder(metrics);
  const state = { lastStatsLog: undefined, batchCount: batches.length } as unknown as TrainingLoopState;
  await recorder.record(state, 'trainingStart');
  for (const [i, b] of batches.entries()) {
    Object.assign(state, { batchIndex: i, lastStepOutput: b.output, lastStepTarget: b.target, lastStepLoss: scalar(b.loss ?? 0) });
    await recorder.record(state, 'batchEnd');
  }
  assert.is(recorder.readbacks, batches.length, 'one readback per batch');
  recorder.reset();
  return Object.fromEntries(state.lastStatsLog!.map((s) => [s.name, s.value]));
}

const labels = (values: number[]) => tensor(values, { dtype: 'int32' });
const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test('loss is weighted by sample count: a short last batch counts for what it holds', async () => {
  const stats = await measure([], [
    { output: zeros([4, 3]), target: labels([0, 1, 2, 0]), loss: 1 },
    { output: zeros([1, 3]), target: labels([2]), loss: 6 },
  ]);
  close(stats.loss!, (4 * 1 + 1 * 6) / 5); // 2, where the unweighted mean of batches is 3.5
});

test('accuracy: a hit only when the target is the first argmax (ties go to the lower class), NaN is a miss', async () => {
  const stats = await measure(['accuracy'], [
    { output: tensor([[1, 2, 0], [3, 1, 0], [0, 0, 5]]), target: labels([1, 1, 2]) },
    { output: tensor([[2, 2, 0], [2, 2, 0], [NaN, 0, 0], [0, NaN, 0]]), target: labels([1, 0, 0, 0]) },
  ]);
  // hits: yes, no, yes | tie behind class 0 → no, tie as the first → yes, NaN score → no, NaN elsewhere → no
  close(stats.accuracy!, 3 / 7);
});

test('an all-zero output scores the share of class 0 (not 1), for accuracy and top-5 accuracy', async () => {
  const target = labels([0, 3, 7, 9, 1, 0, 5, 2]);
  const stats = await measure(['accuracy', 'top5Accuracy'], [{ output: zeros([8, 10]), target }]);
  close(stats.accuracy!, 2 / 8);
  close(stats.top5Accuracy!, 5 / 8); // classes 0–4 are the first five of a stable sort
});

test('accuracy with one-hot float targets uses their argmax', async () => {
  const stats = await measure(['accuracy'], [{ output: tensor([[1, 2], [3, 1]]), target: tensor([[0, 1], [0, 1]]) }]);
  close(stats.accuracy!, 1 / 2);
});

test('top5Accuracy: a hit when fewer than 5 classes come before the target', async () => {
  const row = [7, 6, 5, 4, 3, 2, 1];
  const tied = [1, 1, 1, 1, 1, 1, 1];
  const stats = await measure(['top5Accuracy'], [{ output: tensor([row, row, row, tied, tied]), target: labels([4, 5, 0, 6, 4]) }]);
  // class 4 has 4 higher → hit; class 5 has 5 higher → miss; class 0 → hit; all tied: class 6 is 7th → miss, class 4 is 5th → hit
  close(stats.top5Accuracy!, 3 / 5);
});

test('MCC, binary: sigmoid(logit) ≥ 0.5 against label == 1, over all batches', async () => {
  const stats = await measure(['matthewsCorrelationCoefficient'], [
    { output: tensor([[2], [-1], [0.5]]), target: tensor([[1], [0], [0]]) },
    { output: tensor([[-3], [1], [-0.2]]), target: tensor([[0], [1], [1]]) },
  ]);
  // TP 2, FP 1, TN 2, FN 1: (2·2 − 1·1)/√(3·3·3·3) = 1/3
  close(stats.mcc!, 1 / 3);
  const atZero = await measure(['matthewsCorrelationCoefficient'], [{ output: tensor([0, -1]), target: labels([1, 0]) }]);
  close(atZero.mcc!, 1, 1e-12); // logit 0 → sigmoid 0.5 → positive
});

test('MCC, multi-class: Gorodkin\'s R_K of the confusion matrix, accumulated over batches', async () => {
  const logitsFor = (classes: number[]) => tensor(classes.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))));
  const stats = await measure(['matthewsCorrelationCoefficient'], [
    { output: logitsFor([0, 1, 2]), target: labels([0, 1, 2]) },
    { output: logitsFor([2, 1, 0]), target: labels([1, 1, 2]) },
  ]);
  // c = 4, s = 6, t = [1, 3, 2], p = [2, 2, 2]: (4·6 − 12)/√((36 − 12)(36 − 14))
  close(stats.mcc!, 12 / Math.sqrt(24 * 22));
});

test('matthewsCorrelation is float64: huge counts do not overflow, degenerate is 0', () => {
  const n = 3e9;
  close(matthewsCorrelation([n, n / 3, n / 3, n], 2), 0.5, 1e-12);
  assert.is(matthewsCorrelation([5, 0, 0, 0], 2), 0);
});

test('perplexity is exp of the token-weighted mean loss', async () => {
  const stats = await measure(['perplexity'], [
    { output: zeros([2, 3, 5]), target: tensor([[1, 2, 3], [0, 1, 2]], { dtype: 'int32' }), loss: 1 },
    { output: zeros([1, 2, 5]), target: tensor([[4, 4]], { dtype: 'int32' }), loss: 3 },
  ]);
  close(stats.perplexity!, Math.exp((6 * 1 + 2 * 3) / 8), 1e-5);
  close(stats.loss!, 1.5);
});

test('sampleCount: class labels count elements; float targets drop their last axis', () => {
  assert.is(sampleCount(labels([1, 2, 3])), 3);
  assert.is(sampleCount(zeros([4, 10])), 4);
  assert.is(sampleCount(zeros([5])), 5);
});

test('a target that does not match the output is an error naming both shapes', async () => {
  await measure(['accuracy'], [{ output: zeros([2, 3]), target: labels([1, 2, 0]) }]).then(
    () => assert.unreachable(),
    (e: unknown) => assert.match(String(e), /accuracy: target int32 \[3\] does not match output \[2,3\]/),
  );
});

test('the endOfEpoch trigger reads back once per phase with the same totals', async () => {
  const batches = [
    { output: tensor([[1, 0], [0, 1]]), target: labels([0, 0]), loss: 2 },
    { output: tensor([[1, 0]]), target: labels([0]), loss: 5 },
  ];
  const recorder = new StatisticsRecorder(['accuracy']);
  recorder.setReportTrigger('endOfEpoch');
  const state = { batchCount: 2 } as unknown as TrainingLoopState;
  await recorder.record(state, 'validationStart');
  for (const [i, b] of batches.entries()) {
    Object.assign(state, { batchIndex: i, lastStepOutput: b.output, lastStepTarget: b.target, lastStepLoss: scalar(b.loss) });
    await recorder.record(state, 'batchEnd');
    if (i === 0) assert.is(state.lastStatsLog, undefined);
  }
  assert.is(recorder.readbacks, 1);
  assert.equal(state.lastStatsLog, [{ name: 'loss', value: 3 }, { name: 'accuracy', value: 2 / 3 }]);
  recorder.reset();
  assert.throws(() => recorder.setReportTrigger(0), /integer n ≥ 1/);
});

test.run();
