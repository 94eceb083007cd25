// The CPU benchmark: matmul 256/512/1024 and one conv2d (batch 64, 32×32×16 input, 3×3×16
// filters, 16 output channels, 'same') on tensorloop's CPU path, with TensorFlow.js's CPU
// backend and gpu.js in 'cpu' mode doing the same work in the same run. Prints a markdown
// table of GFLOP/s and tensorloop's ratio to each peer, and writes it to
// bench/results/cpu.md. Before timing, each case checks the peers' outputs agree.
// Run: npm run bench   (BENCH_QUICK=1 runs a 64×64 matmul instead of the three sizes)

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import Benchmark from 'benchmark';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GPU } from 'gpu.js';
import { conv2d, matmul } from '../src/ops/index.js';
import { Device } from '../src/device/index.js';
import { type Tensor, randn } from '../src/tensor.js';

const MATMUL_SIZES = process.env.BENCH_QUICK ? [64] : [256, 512, 1024];
const CONV = { batch: 64, size: 32, inC: 16, k: 3, outC: 16 };
/** benchmark.js sampling: enough samples for a stable mean without minutes per case. */
const OPTIONS = { minSamples: 5, maxTime: 3 };

interface Case {
  name: string;
  flops: number;
  tensorloop: () => void;
  tfjs: () => void;
  gpujs: () => void;
  /** Each library's output, flattened, to check they compute the same thing. */
  outputs: () => Record<Library, ArrayLike<number>>;
}

type Library = 'tensorloop' | 'tfjs' | 'gpujs';

/** Values in [-1, 1) from a seeded stream, shared by all three libraries. */
function values(size: number, seed: number): Float32Array {
  const t = randn([size], { seed, device: Device.cpu });
  const data = new Float32Array(size);
  data.set((t.storage as unknown as { data: Float32Array }).data);
  t.dispose();
  return data;
}

function cpuValues(t: Tensor): Float32Array {
  return (t.storage as unknown as { data: Float32Array }).data;
}

/** gpu.js returns nested arrays of Float32Array rows. */
function flat(result: unknown): number[] {
  return Array.isArray(result) ? result.flatMap((r) => flat(r)) : Array.from(result as Float32Array);
}

/** Fails loudly unless the peers agree with tensorloop (relative to the largest value). */
function verify(c: Case): void {
  const out = c.outputs();
  const ours = out.tensorloop;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) scale = Math.max(scale, Math.abs(ours[i]!));
  for (const peer of ['tfjs', 'gpujs'] as const) {
    const theirs = out[peer];
    if (theirs.length !== ours.length) throw new Error(`${c.name}: ${peer} gave ${theirs.length} values, tensorloop ${ours.length}`);
    for (let i = 0; i < ours.length; i++) {
      if (Math.abs(ours[i]! - theirs[i]!) > 1e-4 * scale) throw new Error(`${c.name}: ${peer} differs at ${i}: ${theirs[i]} vs ${ours[i]}`);
    }
  }
}

const gpu = new GPU({ mode: 'cpu' });

function matmulCase(n: number): Case {
  const a = values(n * n, 1);
  const b = values(n * n, 2);
  const ta = randn([n, n], { seed: 1, device: Device.cpu });
  const tb = randn([n, n], { seed: 2, device: Device.cpu });
  const fa = tf.tensor2d(a, [n, n]);
  const fb = tf.tensor2d(b, [n, n]);
  // gpu.js: one invocation per output element, the textbook dot product
  const kernel = gpu
    .createKernel(function (this: { thread: { x: number; y: number }; constants: { n: number } }, a: number[], b: number[]) {
      let sum = 0;
      for (let k = 0; k < this.constants.n; k++) sum += a[this.thread.y * this.constants.n + k]! * b[k * this.constants.n + this.thread.x]!;
      return sum;
    })
    .setOutput([n, n])
    .setConstants({ n });
  return {
    name: `matmul ${n}×${n}·${n}×${n}`,
    flops: 2 * n * n * n,
    tensorloop: () => matmul(ta, tb).dispose(),
    tfjs: () => tf.matMul(fa, fb).dispose(),
    gpujs: () => void kernel(a as unknown as number[], b as unknown as number[]),
    outputs: () => ({
      tensorloop: cpuValues(matmul(ta, tb)),
      tfjs: tf.matMul(fa, fb).dataSync() as Float32Array,
      gpujs: flat(kernel(a as unknown as number[], b as unknown as number[])),
    }),
  };
}

function convCase(): Case {
  const { batch, size, inC, k, outC } = CONV;
  const x = values(batch * size * size * inC, 3);
  const w = values(k * k * inC * outC, 4);
  const tx = randn([batch, size, size, inC], { seed: 3, device: Device.cpu });
  const tw = randn([k, k, inC, outC], { seed: 4, device: Device.cpu });
  const fx = tf.tensor4d(x, [batch, size, size, inC]);
  const fw = tf.tensor4d(w, [k, k, inC, outC]);
  // gpu.js: one invocation per output element (x: out channel, y: column, z: batch·row)
  const kernel = gpu
    .createKernel(function (
      this: { thread: { x: number; y: number; z: number }; constants: { size: number; inC: number; k: number; outC: number } },
      x: number[],
      w: number[],
    ) {
      const size = this.constants.size;
      const inC = this.constants.inC;
      const k = this.constants.k;
      const outC = this.constants.outC;
      const n = Math.floor(this.thread.z / size);
      const oh = this.thread.z % size;
      const ow = this.thread.y;
      const co = this.thread.x;
      let sum = 0;
      for (let kh = 0; kh < k; kh++) {
        const ih = oh + kh - 1;
        if (ih >= 0 && ih < size) {
          for (let kw = 0; kw < k; kw++) {
            const iw = ow + kw - 1;
            if (iw >= 0 && iw < size) {
              for (let ci = 0; ci < inC; ci++) {
                sum += x[((n * size + ih) * size + iw) * inC + ci]! * w[((kh * k + kw) * inC + ci) * outC + co]!;
              }
            }
          }
        }
      }
      return sum;
    })
    .setOutput([outC, size, batch * size])
    .setConstants({ size, inC, k, outC });
  return {
    name: `conv2d ${batch}×${size}×${size}×${inC} * ${k}×${k}×${inC}×${outC} same`,
    flops: 2 * batch * size * size * outC * k * k * inC,
    tensorloop: () => conv2d(tx, tw, { padding: 'same' }).dispose(),
    tfjs: () => tf.conv2d(fx, fw, 1, 'same').dispose(),
    gpujs: () => void kernel(x as unknown as number[], w as unknown as number[]),
    outputs: () => ({
      tensorloop: cpuValues(conv2d(tx, tw, { padding: 'same' })),
      tfjs: tf.conv2d(fx, fw, 1, 'same').dataSync() as Float32Array,
      gpujs: flat(kernel(x as unknown as number[], w as unknown as number[])),
    }),
  };
}

/** The middle of benchmark.js's samples: on a shared machine a burst of other work
 * inflates the mean but barely moves the median. */
function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median seconds per call of each library on one case, sampled by benchmark.js. */
function measure(c: Case): Promise<Record<Library, number>> {
  return new Promise((resolve) => {
    const seconds: Record<string, number> = {};
    new Benchmark.Suite(c.name)
      .add('tensorloop', c.tensorloop, OPTIONS)
      .add('tfjs', c.tfjs, OPTIONS)
      .add('gpujs', c.gpujs, OPTIONS)
      .on('cycle', (event: Benchmark.Event) => {
        const bench = event.target as unknown as Benchmark;
        seconds[bench.name!] = median(bench.stats.sample);
        console.error(`  ${c.name}: ${String(bench)}`);
      })
      .on('complete', () => resolve(seconds as Record<Library, number>))
      .run({ async: false });
  });
}

await tf.setBackend('cpu');
await tf.ready();

const cases = [...MATMUL_SIZES.map(matmulCase), convCase()];
const rows: string[] = [];
for (const c of cases) {
  verify(c);
  const s = await measure(c);
  const gflops = (seconds: number): number => c.flops / seconds / 1e9;
  const [ours, theirs, gpujs] = [gflops(s.tensorloop), gflops(s.tfjs), gflops(s.gpujs)];
  rows.push(`| ${c.name} | ${ours.toFixed(2)} | ${theirs.toFixed(2)} | ${gpujs.toFixed(2)} | ${(ours / theirs).toFixed(2)}× | ${(ours / gpujs).toFixed(2)}× |`);
}

const table = [
  `CPU path, GFLOP/s from the median sample (higher is better); ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`,
  '',
  '| case | tensorloop | tfjs-backend-cpu | gpu.js (cpu) | vs tfjs | vs gpu.js |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n');
console.log(table);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/cpu.md', `${table}\n`);
console.error('written to bench/results/cpu.md');
