// The WebGPU benchmark: tensorloop's WGSL kernels side by side with TensorFlow.js's WebGPU
// backend and gpu.js in 'webgpu' mode, in one process, on the same adapter: matmul
// 256–2048 (GFLOP/s), add and sum over 4M floats (GB/s), and two conv2d layers (GFLOP/s).
// Prints a markdown table with the adapter and tensorloop's ratio to each peer, and writes
// it to bench/results/webgpu.md. Before timing, each case checks the libraries agree.
//
// Timing: each case runs twice to warm up (pipeline compiles, lazy buffer clears), then
// `reps` times back to back, then waits for the GPU (tensorloop: device.synchronize();
// tfjs: reading the last result; gpu.js: its promise); the figure is the best of 3 such
// runs, wall time per repetition, the libraries taking turns (round-robin) so load from
// other processes is shared fairly. The wait and one readback are inside the timed region,
// amortized over the repetitions (a GPU works asynchronously; without a wait nothing is
// measured). For gpu.js every call reads its result back: that is its API in webgpu mode.
//
// Peers need `navigator.gpu`. Node has no WebGPU, so this process (only this one: the
// library itself never touches globals) installs the `webgpu` package's GPU object as
// navigator.gpu and its constants (GPUBufferUsage, …) as globals before loading them.
// gpu.js 2.24 declares a dependency on webgpu@0.2.9 but never imports it; that version's
// prebuilt dawn.node needs GLIBCXX_3.4.32 (GCC 13's libstdc++), which Debian 12 lacks, so
// gpu.js here runs on the navigator.gpu from webgpu 0.6.2, the version tensorloop uses.
//
// Run: npm run bench:webgpu   (BENCH_QUICK=1: no 1024/2048 matmuls nor vector cases, fewer
// repetitions; BENCH_ONLY=<regex>: only the cases whose name matches)

import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { create, globals } from 'webgpu';
import { Device } from '../src/device/index.js';
import type { WebGpuDevice } from '../src/device/webgpu.js';
import { gemmVariantFor } from '../src/kernels/gemm.js';
import { add, conv2d, matmul, sum } from '../src/ops/index.js';
import { type Tensor, tensor } from '../src/tensor.js';

const QUICK = !!process.env.BENCH_QUICK;
const MATMUL_SIZES = QUICK ? [256, 512] : [256, 512, 1024, 2048];
const VECTOR_SIZE = 4 * 1024 * 1024;
/** [name, batch, size, inC, kernel, outC, padding] */
const CONVS: [string, number, number, number, number, number, 'same' | 'valid'][] = [
  ['conv2d 64×28×28×1 → 5×5×6', 64, 28, 1, 5, 6, 'valid'],
  ['conv2d 64×32×32×16 → 3×3×16', 64, 32, 16, 3, 16, 'same'],
];
/** Target seconds of GPU work per timed run (repetitions are chosen to fill it). */
const TARGET_SECONDS = QUICK ? 0.3 : 1;
const MAX_REPS = 50;

// ---------------------------------------------------------------- the peers' navigator.gpu

Object.assign(globalThis, globals);
const peerGpu = create([]);
Object.defineProperty(globalThis, 'navigator', { value: { gpu: peerGpu }, configurable: true, writable: true });
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-webgpu');
const { GPU } = require('gpu.js') as typeof import('gpu.js');

// ---------------------------------------------------------------- timing

type Library = 'tensorloop' | 'tfjs' | 'gpujs';
const LIBRARIES: Library[] = ['tensorloop', 'tfjs', 'gpujs'];

interface Runner {
  /** Enqueues one repetition. */
  run(): unknown;
  /** Waits until everything enqueued has finished. */
  wait(): Promise<void>;
}

/** Seconds per repetition for each runner, measured round-robin (each round times every
 * library once, best round kept) so a burst of load on this shared machine does not land
 * on one library only. A runner that throws gets its message instead of a time. */
async function secondsEach(runners: [Library, Runner][]): Promise<Map<Library, number | string>> {
  const result = new Map<Library, number | string>();
  const once = async (r: Runner, reps: number): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await r.run();
    await r.wait();
    return (performance.now() - t0) / 1000 / reps;
  };
  const reps = new Map<Library, number>();
  for (const [lib, r] of runners) {
    try {
      for (let i = 0; i < 2; i++) await once(r, 1); // warm-up: pipeline compiles, lazy clears
      const estimate = await once(r, 1);
      result.set(lib, estimate);
      reps.set(lib, Math.max(1, Math.min(MAX_REPS, Math.round(TARGET_SECONDS / estimate))));
    } catch (error) {
      result.set(lib, (error as Error).message.split('\n')[0]!);
    }
  }
  const slowest = Math.max(...[...result.values()].map((v) => (typeof v === 'number' ? v : 0)));
  for (let round = 0; round < (slowest > 2 ? 1 : 3); round++) {
    for (const [lib, r] of runners) {
      const best = result.get(lib);
      if (typeof best !== 'number') continue;
      result.set(lib, Math.min(best, await once(r, reps.get(lib)!)));
    }
  }
  return result;
}

// ---------------------------------------------------------------- cases

interface Case {
  name: string;
  /** The work of one repetition: FLOPs (matmul, conv) or bytes moved (add, sum). */
  work: number;
  unit: 'GFLOP/s' | 'GB/s';
  runners: Record<Library, Runner | string>; // a string: why this library has no figure
  /** Each library's output for the agreement check. */
  check?: () => Promise<Record<Library, ArrayLike<number> | null>>;
  /** Absolute tolerance of the check (default: relative to each value). */
  tolerance?: number;
}

function values(size: number, seed: number): Float32Array {
  const data = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return data;
}

function tensorloopRunner(device: WebGpuDevice, op: () => Tensor): Runner {
  let last: Tensor | null = null;
  return {
    run() {
      last?.dispose();
      last = op();
    },
    async wait() {
      await device.synchronize();
    },
  };
}

function tfjsRunner(op: () => import('@tensorflow/tfjs-core').Tensor): Runner {
  let last: import('@tensorflow/tfjs-core').Tensor | null = null;
  return {
    run() {
      last?.dispose();
      last = op();
    },
    async wait() {
      await last?.data();
    },
  };
}

function gpujsRunner(op: () => Promise<unknown>): Runner {
  return { run: op, wait: async () => {} };
}

/** gpu.js returns nested arrays of Float32Array rows. */
function flat(result: unknown): number[] {
  return Array.isArray(result) ? result.flatMap((r) => flat(r)) : Array.from(result as Float32Array);
}

function nested(data: Float32Array, rows: number, cols: number): Float32Array[] {
  return Array.from({ length: rows }, (_, r) => data.subarray(r * cols, (r + 1) * cols));
}

function matmulCase(device: WebGpuDevice, gpujs: InstanceType<typeof GPU>, n: number): Case {
  const aData = values(n * n, 1);
  const bData = values(n * n, 2);
  const a = tensorFrom(device, aData, [n, n]);
  const b = tensorFrom(device, bData, [n, n]);
  const ta = tf.tensor2d(aData, [n, n]);
  const tb = tf.tensor2d(bData, [n, n]);
  const kernel = gpujs
    .createKernel(function (this: { thread: { x: number; y: number }; constants: { n: number } }, x: number[][], y: number[][]) {
      let s = 0;
      for (let k = 0; k < this.constants.n; k++) s += x[this.thread.y]![k]! * y[k]![this.thread.x]!;
      return s;
    })
    .setOutput([n, n])
    .setConstants({ n });
  const ga = nested(aData, n, n);
  const gb = nested(bData, n, n);
  return {
    name: `matmul ${n}×${n}×${n}`,
    work: 2 * n * n * n,
    unit: 'GFLOP/s',
    runners: {
      tensorloop: tensorloopRunner(device, () => matmul(a, b)),
      tfjs: tfjsRunner(() => tf.matMul(ta, tb)),
      gpujs: gpujsRunner(() => kernel(ga, gb) as unknown as Promise<unknown>),
    },
    check:
      n <= 512
        ? async () => ({ tensorloop: await matmul(a, b).data(), tfjs: await tf.matMul(ta, tb).data(), gpujs: flat(await (kernel(ga, gb) as unknown as Promise<unknown>)) })
        : undefined,
  };
}

/** tensorloop gets the same values as the peers. */
function tensorFrom(device: WebGpuDevice, data: Float32Array, shape: number[]): Tensor {
  return tensor(data, { shape, device });
}

function vectorCases(device: WebGpuDevice, gpujs: InstanceType<typeof GPU>): Case[] {
  const n = VECTOR_SIZE;
  const xData = values(n, 3);
  const yData = values(n, 4);
  const x = tensorFrom(device, xData, [n]);
  const y = tensorFrom(device, yData, [n]);
  const tx = tf.tensor1d(xData);
  const ty = tf.tensor1d(yData);
  // gpu.js has no reduction: a user sums 1024-element chunks on the GPU and the partial sums on the CPU
  const CHUNK = 1024;
  const addKernel = gpujs
    .createKernel(function (this: { thread: { x: number } }, a: number[], b: number[]) {
      return a[this.thread.x]! + b[this.thread.x]!;
    })
    .setOutput([n]);
  const partialSums = gpujs
    .createKernel(function (this: { thread: { x: number }; constants: { chunk: number } }, a: number[]) {
      let s = 0;
      for (let i = 0; i < this.constants.chunk; i++) s += a[this.thread.x * this.constants.chunk + i]!;
      return s;
    })
    .setOutput([n / CHUNK])
    .setConstants({ chunk: CHUNK });
  const gpujsSum = async (): Promise<number> => (await (partialSums(xData) as unknown as Promise<Float32Array>)).reduce((s, v) => s + v, 0);
  return [
    {
      name: `add 4M floats`,
      work: 3 * 4 * n, // read two, write one
      unit: 'GB/s',
      runners: {
        tensorloop: tensorloopRunner(device, () => add(x, y)),
        tfjs: tfjsRunner(() => tf.add(tx, ty)),
        gpujs: gpujsRunner(() => addKernel(xData, yData) as unknown as Promise<unknown>),
      },
    },
    {
      name: `sum 4M floats`,
      work: 4 * n,
      unit: 'GB/s',
      runners: {
        tensorloop: tensorloopRunner(device, () => sum(x)),
        tfjs: tfjsRunner(() => tf.sum(tx)),
        gpujs: gpujsRunner(gpujsSum),
      },
      check: async () => ({ tensorloop: await sum(x).data(), tfjs: await tf.sum(tx).data(), gpujs: [await gpujsSum()] }),
      // float32 sums of 4M terms in different orders differ by ~1e-7 of Σ|x| (~2·10⁶ here)
      tolerance: 1e-6 * xData.reduce((s, v) => s + Math.abs(v), 0),
    },
  ];
}

function convCase(device: WebGpuDevice, gpujs: InstanceType<typeof GPU>, [name, batch, size, inC, k, outC, padding]: (typeof CONVS)[0]): Case {
  const xData = values(batch * size * size * inC, 5);
  const wData = values(k * k * inC * outC, 6);
  const x = tensorFrom(device, xData, [batch, size, size, inC]);
  const w = tensorFrom(device, wData, [k, k, inC, outC]);
  const tx = tf.tensor4d(xData, [batch, size, size, inC]);
  const tw = tf.tensor4d(wData, [k, k, inC, outC]);
  const out = padding === 'same' ? size : size - k + 1;
  const pad = padding === 'same' ? Math.floor((k - 1) / 2) : 0;
  // gpu.js: one thread per output element, NHWC flattened: x = channel, y = column, z = image·row
  const kernel = gpujs
    .createKernel(function (
      this: { thread: { x: number; y: number; z: number }; constants: { size: number; inC: number; k: number; outC: number; out: number; pad: number } },
      xs: number[],
      ws: number[],
    ) {
      // gpu.js's translator takes `this.constants.x` only written out in full
      const n = Math.floor(this.thread.z / this.constants.out);
      const oh = this.thread.z - n * this.constants.out;
      let s = 0;
      for (let kh = 0; kh < this.constants.k; kh++) {
        for (let kw = 0; kw < this.constants.k; kw++) {
          const ih = oh + kh - this.constants.pad;
          const iw = this.thread.y + kw - this.constants.pad;
          if (ih >= 0 && ih < this.constants.size && iw >= 0 && iw < this.constants.size) {
            for (let ci = 0; ci < this.constants.inC; ci++) {
              s +=
                xs[((n * this.constants.size + ih) * this.constants.size + iw) * this.constants.inC + ci]! *
                ws[((kh * this.constants.k + kw) * this.constants.inC + ci) * this.constants.outC + this.thread.x]!;
            }
          }
        }
      }
      return s;
    })
    .setOutput([outC, out, batch * out])
    .setConstants({ size, inC, k, outC, out, pad });
  return {
    name,
    work: 2 * batch * out * out * outC * k * k * inC,
    unit: 'GFLOP/s',
    runners: {
      tensorloop: tensorloopRunner(device, () => conv2d(x, w, { padding })),
      tfjs: tfjsRunner(() => tf.conv2d(tx, tw, 1, padding)),
      gpujs: gpujsRunner(() => kernel(xData, wData) as unknown as Promise<unknown>),
    },
    check: async () => ({
      tensorloop: await conv2d(x, w, { padding }).data(),
      tfjs: await tf.conv2d(tx, tw, 1, padding).data(),
      gpujs: flat(await (kernel(xData, wData) as unknown as Promise<unknown>)),
    }),
  };
}

function agree(name: string, outputs: Record<Library, ArrayLike<number> | null>, tolerance?: number): void {
  const ref = outputs.tensorloop!;
  for (const lib of ['tfjs', 'gpujs'] as const) {
    const other = outputs[lib];
    if (!other) continue;
    if (other.length !== ref.length) throw new Error(`${name}: ${lib} gave ${other.length} values, tensorloop ${ref.length}`);
    for (let i = 0; i < ref.length; i++) {
      if (Math.abs(ref[i]! - other[i]!) > (tolerance ?? 1e-3 * (1 + Math.abs(ref[i]!)) * Math.sqrt(1 + ref.length / 1e4))) {
        throw new Error(`${name}: ${lib} disagrees with tensorloop at ${i}: ${other[i]} vs ${ref[i]}`);
      }
    }
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const device = await Device.webgpu();
  await tf.setBackend('webgpu');
  await tf.ready();
  const gpujs = new GPU({ mode: 'webgpu' });
  const peerAdapter = await peerGpu.requestAdapter();
  const adapter = `${device.adapterInfo.description || device.name} (${device.adapterInfo.vendor}/${device.adapterInfo.architecture})`;
  console.log(`adapter: ${adapter}; peers' adapter: ${peerAdapter?.info.description ?? 'none'}`);
  console.log(`tensorloop GEMM schedule: ${gemmVariantFor(device)}`);

  const cases = [...MATMUL_SIZES.map((n) => matmulCase(device, gpujs, n)), ...(QUICK ? [] : vectorCases(device, gpujs)), ...CONVS.map((c) => convCase(device, gpujs, c))];
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
  const rows: string[] = [];
  for (const c of cases.filter((c) => !only || only.test(c.name))) {
    const rate: Partial<Record<Library, number>> = {};
    try {
      if (c.check) agree(c.name, await c.check(), c.tolerance);
    } catch (error) {
      console.log(`${c.name}: not timed: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const timed = await secondsEach(LIBRARIES.flatMap((lib) => (typeof c.runners[lib] === 'string' ? [] : [[lib, c.runners[lib] as Runner] as [Library, Runner]])));
    for (const [lib, t] of timed) {
      if (typeof t === 'number') rate[lib] = c.work / t / 1e9;
      else c.runners[lib] = t;
    }
    const cell = (lib: Library) => (rate[lib] === undefined ? `n/a (${c.runners[lib] as string})` : rate[lib]!.toFixed(2));
    const ratio = (lib: Library) => (rate[lib] === undefined ? '–' : `${(rate.tensorloop! / rate[lib]!).toFixed(2)}×`);
    const row = `| ${c.name} | ${c.unit} | ${cell('tensorloop')} | ${cell('tfjs')} | ${cell('gpujs')} | ${ratio('tfjs')} | ${ratio('gpujs')} |`;
    console.log(row);
    rows.push(row);
  }
  const table = [
    `WebGPU kernels on ${adapter}, ${new Date().toISOString().slice(0, 10)}; tensorloop GEMM schedule '${gemmVariantFor(device)}'`,
    '',
    '| kernel | unit | tensorloop | tfjs-webgpu | gpu.js webgpu | × tfjs | × gpu.js |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  console.log(`\n${table}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/webgpu.md', `${table}\n`);
  device.dispose();
}

main().then(
  () => process.exit(0), // the peers' Dawn instance would keep the process alive
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
