// Seedable random numbers, generated on the host so that the same seed gives the same
// stream on every device. The generator is mulberry32 (Tommy Ettinger's 32-bit mixer):
// tiny, fast, and good enough for initialization, shuffling and dropout masks.

import { TensorLoopError } from './errors.js';

export class Random {
  /** The generator's whole state: one 32-bit word. */
  private word: number;

  constructor(seed: number) {
    this.word = seed >>> 0;
  }

  /** The state, to save (a checkpoint): `setState` with it continues the same stream. */
  state(): number {
    return this.word;
  }

  setState(state: number): void {
    if (!(Number.isInteger(state) && state >= 0 && state < 2 ** 32)) throw new TensorLoopError(`Random.setState: the state must be an integer in [0, 2^32), got ${JSON.stringify(state)}`);
    this.word = state;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    let t = (this.word = (this.word + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A standard normal sample (Box–Muller; the log argument is kept away from 0). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher–Yates shuffle of `array`, in place. */
  shuffle<T>(array: T[] | Int32Array): void {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i]!;
      array[i] = array[j]!;
      array[j] = tmp;
    }
  }
}

let seedCounter = 0x5eed;
/** A fresh seed for callers that gave none (deterministic across a process's runs). */
export function nextSeed(): number {
  seedCounter = (Math.imul(seedCounter, 1664525) + 1013904223) >>> 0;
  return seedCounter;
}
