// The learning-rate finder's curve and the rates read off it, after fastai's
// (callback/schedule.py): the loss smoothed by a debiased exponential moving average, and
// three suggestions from the smoothed curve.
//   - valley (the one returned as `suggestion`, fastai's default since 2.5): the middle of the
//     longest stretch over which the loss keeps falling: the rate half way along it is far
//     enough from the flat start to learn fast and far enough from the divergence to stay
//     stable. It reads the whole descent, so one noisy dip does not move it much.
//   - steep: where the loss falls fastest per log-rate step (fastai's older default). One
//     noisy pair of points can make the steepest slope, so it jumps between runs.
//   - minimum: a tenth of the rate at the lowest loss (the older rule of thumb).
// As fastai, the suggestions skip the first tenth of the requested steps (the flat start,
// where noise dominates) and the last 5 points (the divergence), when enough points remain,
// and end before the first NaN loss.

/** fastai's AvgSmoothLoss: avg ← β·avg + (1 − β)·loss, reported as avg / (1 − β^count). */
export class SmoothedLoss {
  private average = 0;
  private count = 0;
  constructor(readonly beta: number) {}

  add(loss: number): number {
    this.count += 1;
    this.average = this.beta * this.average + (1 - this.beta) * loss;
    return this.average / (1 - this.beta ** this.count);
  }
}

export interface LearningRateSuggestions {
  valley: number;
  steep: number;
  minimum: number;
}

/** The three suggestions of the curve (rates and smoothed losses, same length ≥ 1);
 * `requestedSteps` sets how much of the start is skipped. */
export function suggestRates(rates: readonly number[], smoothed: readonly number[], requestedSteps: number): LearningRateSuggestions {
  const firstNaN = smoothed.findIndex((v) => Number.isNaN(v));
  const usable = firstNaN < 0 ? smoothed.length : firstNaN;
  let start = Math.floor(requestedSteps / 10);
  let end = Math.min(usable, rates.length - 5);
  if (end - start < 3) [start, end] = [0, usable]; // too short to trim: every point before a NaN
  if (end === 0) return { valley: NaN, steep: NaN, minimum: NaN };
  const r = rates.slice(start, end);
  const l = smoothed.slice(start, end);
  return { valley: r[valleyIndex(l)]!, steep: r[steepIndex(r, l)]!, minimum: r[argmin(l)]! / 10 };
}

/** fastai's `valley`: lds[i] is the length of the longest strictly falling sequence of
 * losses ending at i; the longest one ends at maxEnd and is taken to start lds points
 * earlier; the suggestion lies half way along it (a third, plus a sixth). */
export function valleyIndex(losses: readonly number[]): number {
  const n = losses.length;
  const lds = new Array<number>(n).fill(1);
  let maxStart = 0;
  let maxEnd = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i]! < losses[j]! && lds[i]! < lds[j]! + 1) lds[i] = lds[j]! + 1;
      if (lds[maxEnd]! < lds[i]!) {
        maxEnd = i;
        maxStart = maxEnd - lds[maxEnd]!;
      }
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  return Math.max(0, Math.min(n - 1, maxStart + Math.trunc(sections) + Math.trunc(sections / 2)));
}

/** fastai's `steep`: the point where (loss[i+1] − loss[i]) / (log rate[i+1] − log rate[i]) is lowest. */
export function steepIndex(rates: readonly number[], losses: readonly number[]): number {
  if (rates.length < 2) return 0;
  const slopes = rates.slice(1).map((rate, i) => (losses[i + 1]! - losses[i]!) / (Math.log(rate) - Math.log(rates[i]!)));
  return argmin(slopes.map((s) => (Number.isNaN(s) ? Infinity : s)));
}

function argmin(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! < values[best]!) best = i;
  return best;
}
