// Learning-rate schedules made of segments (Swift for TensorFlow's `LearningRateSchedule`):
//
//   makeSchedule([
//     new ScheduleSegment({shape: linear, startRate: 0, endRate: peak, stepCount: 10}),
//     new ScheduleSegment({shape: linear, endRate: 0}),
//   ])
//
// warms up linearly from 0 to `peak` over steps 0…9, then decays linearly to 0 at the
// last step of the run. As in S4TF a segment of n steps shares its first step with the
// previous segment's last (where the earlier segment wins), a missing `startRate`
// continues from where the previous segment ended (the first starts at 0), and a missing
// `stepCount` (last segment only) takes the rest of the run. Past the end of a schedule
// whose segments are all counted, the last rate holds (S4TF trapped).

import { TensorLoopError } from '../../errors.js';
import { checkOptions } from '../../options.js';

/** A curve on progress p ∈ [0, 1]: a segment's rate is
 *   start + (end − start)·(f(p) − f(0))/(f(1) − f(0)).
 * Any `(progress) => number` with f(0) ≠ f(1) is a shape. */
export type ScheduleShapeFunction = (progress: number) => number;

/** A built-in shape that computes the rate itself (for those not of the form above). */
export interface ScheduleShape {
  readonly name: string;
  rate(progress: number, startRate: number, endRate: number): number;
}

export const linear: ScheduleShape = { name: 'linear', rate: (p, s, e) => s + (e - s) * p };
/** Half a cosine from start to end (cosine annealing). */
export const cosine: ScheduleShape = { name: 'cosine', rate: (p, s, e) => e + ((s - e) * (1 + Math.cos(Math.PI * p))) / 2 };
/** Geometric: start·(end/start)^p; both rates must be above 0. */
export const exponential: ScheduleShape = { name: 'exponential', rate: (p, s, e) => s * (e / s) ** p };
/** Holds `endRate` over the whole segment (a step change at its start). */
export const constant: ScheduleShape = { name: 'constant', rate: (_p, _s, e) => e };

export interface ScheduleSegmentOptions {
  shape: ScheduleShape | ScheduleShapeFunction;
  startRate?: number;
  endRate: number;
  stepCount?: number;
}

export class ScheduleSegment {
  readonly shape: ScheduleShape;
  readonly startRate: number | undefined;
  readonly endRate: number;
  readonly stepCount: number | undefined;

  constructor(options: ScheduleSegmentOptions) {
    const { shape, startRate, endRate, stepCount } = checkOptions('ScheduleSegment', options, ['shape', 'startRate', 'endRate', 'stepCount']);
    this.shape = typeof shape === 'function' ? shapeFrom(shape) : shape;
    if (!this.shape || typeof this.shape.rate !== 'function') throw new TensorLoopError('ScheduleSegment: shape must be linear, constant, cosine, exponential or a function of progress');
    for (const [name, value] of [['startRate', startRate], ['endRate', endRate]] as const) {
      if (value !== undefined && !Number.isFinite(value)) throw new TensorLoopError(`ScheduleSegment: ${name} must be a finite number, got ${value}`);
    }
    if (stepCount !== undefined && !(Number.isInteger(stepCount) && stepCount >= 1)) {
      throw new TensorLoopError(`ScheduleSegment: stepCount must be an integer ≥ 1, got ${stepCount}`);
    }
    this.startRate = startRate;
    this.endRate = endRate;
    this.stepCount = stepCount;
  }
}

/** Normalizes a custom curve so that it runs from the start rate to the end rate. */
function shapeFrom(f: ScheduleShapeFunction): ScheduleShape {
  const f0 = f(0);
  const f1 = f(1);
  if (!Number.isFinite(f0) || !Number.isFinite(f1) || f0 === f1) {
    throw new TensorLoopError(`ScheduleSegment: a shape function needs finite f(0) ≠ f(1), got f(0) = ${f0}, f(1) = ${f1}`);
  }
  return { name: f.name || 'custom', rate: (p, s, e) => s + ((e - s) * (f(p) - f0)) / (f1 - f0) };
}

interface PlacedSegment {
  first: number;
  last: number;
  startRate: number;
  endRate: number;
  shape: ScheduleShape;
}

/** A piecewise map from a 0-based step to a rate. */
export class LearningRateSchedule {
  /** Steps the schedule covers: 0 … stepCount − 1. */
  readonly stepCount: number;
  private readonly segments: PlacedSegment[];

  constructor(segments: readonly ScheduleSegment[], totalStepCount: number) {
    if (segments.length === 0) throw new TensorLoopError('makeSchedule: needs at least one ScheduleSegment');
    if (!(Number.isInteger(totalStepCount) && totalStepCount >= 1)) throw new TensorLoopError(`makeSchedule: the run must have at least one step, got ${totalStepCount}`);
    this.segments = [];
    const counts = fitStepCounts(segments, totalStepCount);
    let end = 0; // the last step covered so far; the next segment starts there
    let rate = segments[0]!.startRate ?? 0;
    segments.forEach((segment, i) => {
      const isLast = i === segments.length - 1;
      let n = counts[i];
      if (n === undefined) {
        if (!isLast) throw new TensorLoopError(`makeSchedule: segment ${i} needs a stepCount (only the last one may take the rest of the run)`);
        n = totalStepCount - end;
        if (n < 1) throw new TensorLoopError(`makeSchedule: the earlier segments already cover ${end + 1} steps, the run has only ${totalStepCount}`);
      }
      const startRate = segment.startRate ?? rate;
      if (segment.shape === exponential && !(startRate > 0 && segment.endRate > 0)) {
        throw new TensorLoopError(`makeSchedule: an exponential segment needs rates above 0, got ${startRate} → ${segment.endRate} (segment ${i})`);
      }
      this.segments.push({ first: end, last: end + n - 1, startRate, endRate: segment.endRate, shape: segment.shape });
      end += n - 1;
      rate = segment.endRate;
    });
    this.stepCount = end + 1;
  }

  /** The rate at 0-based `step`: the first segment whose last step is ≥ step. */
  rate(step: number): number {
    if (!(Number.isInteger(step) && step >= 0)) throw new TensorLoopError(`LearningRateSchedule: step must be an integer ≥ 0, got ${step}`);
    const segment = this.segments.find((s) => s.last >= step) ?? this.segments[this.segments.length - 1]!;
    if (step > segment.last) return segment.endRate;
    const span = segment.last - segment.first;
    if (span === 0) return step === segment.first ? segment.startRate : segment.endRate;
    return segment.shape.rate((step - segment.first) / span, segment.startRate, segment.endRate);
  }
}

/** The segments' step counts. When the counted segments leave the open last one no step
 * (a warm-up longer than a short run), they shrink in proportion to cover half the run,
 * with a one-line warning, instead of failing. */
function fitStepCounts(segments: readonly ScheduleSegment[], total: number): (number | undefined)[] {
  const counts = segments.map((s) => s.stepCount);
  const open = segments.at(-1)!.stepCount === undefined;
  const counted = counts.slice(0, open ? -1 : undefined);
  if (counted.some((n) => n === undefined)) return counts; // an error below says which
  const covered = (counted as number[]).reduce((a, n) => a + n - 1, 0); // consecutive segments share a step
  if (!open || counted.length === 0 || covered === 0 || covered < total - 1) return counts;
  const target = Math.max(counted.length, Math.floor(total / 2));
  const scale = (target - 1) / covered;
  const shrunk = (counted as number[]).map((n) => Math.max(1, Math.round(1 + (n - 1) * scale)));
  console.warn(
    `makeSchedule: the segments before the last cover ${covered + 1} steps but the run has only ${total}; ` +
      `shrinking them to ${shrunk.join(' + ')} steps (half the run) so the last segment still runs`,
  );
  return [...shrunk, undefined];
}

/** `makeSchedule(segments)(totalStepCount)`: the schedule for a run of that many steps. */
export function makeSchedule(segments: readonly ScheduleSegment[]): (totalStepCount: number) => LearningRateSchedule {
  const list = [...segments];
  list.forEach((s, i) => {
    if (!(s instanceof ScheduleSegment)) throw new TensorLoopError(`makeSchedule: item ${i} is not a ScheduleSegment`);
  });
  if (list.length === 0) throw new TensorLoopError('makeSchedule: needs at least one ScheduleSegment');
  return (totalStepCount) => new LearningRateSchedule(list, totalStepCount);
}
