// The training-step benchmark: LeNet-5 (max pooling) and an MLP 784-512-512-10 at batch 128,
// one step = forward + softmax cross-entropy + backward + SGD update + the loss read back,
// on tensorloop (webgpu and cpu devices), jax-js (webgpu and wasm) and TensorFlow.js
// (webgpu, wasm, cpu), all in this process, from the same initial weights on the same batch
// (bench/train/models.ts). Prints a markdown table of images/s, tensorloop's ratio to each
// peer, a per-kernel breakdown of one tensorloop step on each device, and the speed targets
// met or missed (bench/train/targets.ts adds the first step of a new process and a 16 MiB
// readback); writes them to bench/results/train.md.
//
// Agreement: every engine trains CHECK_STEPS steps from the same weights first; the losses
// must match tensorloop cpu's to LOSS_TOLERANCE (relative), or the engine is not timed.
//
// Timing is round-robin: each round gives every engine one untimed step (tfjs switches its
// backend there) and then timed steps for about ROUND_SECONDS; the figure is the best
// round. Rounds interleave the engines so that load from other processes on a shared
// machine falls on all of them alike; ratios from one run are what to compare.
//
// Peers need `navigator.gpu`: as in bench/webgpu.ts, this process (only this one: the library
// never touches globals) installs the `webgpu` package's GPU object as navigator.gpu.
//
// Run: npm run bench:train   BENCH_QUICK=1: one short round. BENCH_ONLY=<regex>: only the
// engines whose name matches (tensorloop cpu always runs: it is the loss reference).
// BENCH_MODELS=<regex>: only the matching models.

import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { create, globals } from 'webgpu';
import { profiler } from '../src/device/profiler.js';
import type { WebGpuDevice } from '../src/device/webgpu.js';
import { jaxEngine } from './train/jax.js';
import { BATCH, type Engine, MODELS, type ModelName, type Trainer, makeBatch, modelSpec } from './train/models.js';
import { synchronize, tensorloopEngine } from './train/tensorloop.js';
import { firstSteps, readback } from './train/targets.js';
import { tfjsEngine } from './train/tfjs.js';

const QUICK = !!process.env.BENCH_QUICK;
const ROUNDS = QUICK ? 1 : 3;
const ROUND_SECONDS = QUICK ? 1 : 2;
const CHECK_STEPS = 3;
const LOSS_TOLERANCE = 2e-3;

Object.assign(globalThis, globals);
// jax-js also reads navigator.userAgent (a browser check) and hardwareConcurrency
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: create([]), userAgent: `Node.js/${process.versions.node}`, hardwareConcurrency: os.cpus().length },
  configurable: true,
  writable: true,
});
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-core/dist/register_all_gradients'); // the union package `@tensorflow/tfjs` does this
require('@tensorflow/tfjs-backend-cpu');
require('@tensorflow/tfjs-backend-wasm');
require('@tensorflow/tfjs-backend-webgpu');

const tlCpu = tensorloopEngine('cpu');
const tlGpu = tensorloopEngine('webgpu');
const ENGINES: Engine[] = [tlGpu, tlCpu, jaxEngine('webgpu'), jaxEngine('wasm'), tfjsEngine(tf, 'webgpu'), tfjsEngine(tf, 'wasm'), tfjsEngine(tf, 'cpu')];
const PEERS = ENGINES.slice(2).map((e) => e.name);

/** images/s of each engine, or why it has none. */
type Results = Map<string, number | string>;

async function agreement(trainers: Map<string, Trainer>, results: Results): Promise<string[]> {
  const losses = new Map<string, number[]>();
  for (const [name, trainer] of trainers) {
    try {
      await trainer.activate?.();
      const values: number[] = [];
      for (let i = 0; i < CHECK_STEPS; i++) values.push(await trainer.step());
      losses.set(name, values);
    } catch (error) {
      results.set(name, `fails: ${(error as Error).message.split('\n')[0]!.slice(0, 80)}`);
      trainers.delete(name);
    }
  }
  const reference = losses.get(tlCpu.name)!;
  const lines = [`losses over ${CHECK_STEPS} steps: ${[...losses].map(([n, v]) => `${n} ${v.map((x) => x.toFixed(5)).join(' ')}`).join('; ')}`];
  for (const [name, values] of losses) {
    const off = values.findIndex((v, i) => !(Math.abs(v - reference[i]!) <= LOSS_TOLERANCE * Math.abs(reference[i]!)));
    if (off >= 0) {
      results.set(name, `loss differs at step ${off + 1}: ${values[off]} vs ${reference[off]}`);
      trainers.delete(name);
    }
  }
  return lines;
}

async function timeRounds(trainers: Map<string, Trainer>, results: Results): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, trainer] of trainers) {
      try {
        await trainer.activate?.();
        await trainer.step(); // untimed: backend switch, lazy moves
        let steps = 0;
        const start = performance.now();
        let elapsed = 0;
        do {
          await trainer.step();
          steps += 1;
          elapsed = (performance.now() - start) / 1000;
        } while (elapsed < ROUND_SECONDS && steps < 1000);
        const rate = (steps * BATCH) / elapsed;
        const best = results.get(name);
        results.set(name, typeof best === 'number' ? Math.max(best, rate) : rate);
      } catch (error) {
        results.set(name, `fails: ${(error as Error).message.split('\n')[0]!.slice(0, 80)}`);
        trainers.delete(name);
      }
    }
  }
}

/** One profiled tensorloop step: calls and milliseconds per kernel family. */
async function breakdown(name: string, trainer: Trainer): Promise<string[]> {
  const device = name === tlCpu.name ? tlCpu.device! : tlGpu.device!;
  await trainer.step();
  await synchronize(device);
  profiler.reset();
  profiler.enabled = true;
  const start = performance.now();
  await trainer.step();
  await synchronize(device);
  const total = performance.now() - start;
  profiler.enabled = false;
  const gpu = device.kind === 'webgpu';
  const table = gpu ? profiler.gpu : profiler.host;
  const rows = [...table].sort((a, b) => b[1].milliseconds - a[1].milliseconds);
  const calls = rows.reduce((n, [, s]) => n + s.calls, 0);
  const ms = rows.reduce((n, [, s]) => n + s.milliseconds, 0);
  const host = [...profiler.host.values()].reduce((n, s) => n + s.milliseconds, 0);
  return [
    `${name}: one step ${total.toFixed(1)} ms (profiled), ${calls} ${gpu ? 'dispatches' : 'kernel calls'}, ` +
      (gpu ? `${ms.toFixed(1)} ms of GPU time (timestamps), ${host.toFixed(1)} ms recording them on the host` : `${ms.toFixed(1)} ms inside kernels`),
    '',
    `| kernel family | ${gpu ? 'dispatches' : 'calls'} | ms | % of step |`,
    '| --- | ---: | ---: | ---: |',
    ...rows.map(([family, s]) => `| ${family} | ${s.calls} | ${s.milliseconds.toFixed(2)} | ${((100 * s.milliseconds) / total).toFixed(1)} |`),
    '',
  ];
}

/** The issue's targets, each with what this run measured and whether it is met. */
async function targets(all: Map<ModelName, Results>): Promise<string[]> {
  const rows: string[] = [];
  const rateTarget = (model: ModelName, ours: string, peer: string, at: number) => {
    const r = all.get(model);
    const [a, b] = [r?.get(ours), r?.get(peer)];
    if (typeof a !== 'number' || typeof b !== 'number') return;
    rows.push(`| ${model}: ${ours} ≥ ${at}× ${peer} | ${(a / b).toFixed(2)}× | ${a / b >= at ? 'met' : 'missed'} |`);
  };
  rateTarget('LeNet-5', tlGpu.name, 'jax-js webgpu', 1.5);
  rateTarget('MLP', tlGpu.name, 'jax-js webgpu', 1.5);
  rateTarget('MLP', tlGpu.name, 'jax-js wasm', 1.0);
  rateTarget('MLP', tlCpu.name, 'jax-js wasm', 1.5);
  rateTarget('LeNet-5', tlCpu.name, 'jax-js wasm', 5);
  if (tlGpu.device?.kind === 'webgpu') {
    const { cold, warm } = firstSteps();
    const step = (s: { milliseconds: number; cpuMilliseconds: number }) => `${(s.milliseconds / 1000).toFixed(2)} s (CPU ${(s.cpuMilliseconds / 1000).toFixed(2)} s)`;
    rows.push(`| LeNet-5 first WebGPU step of a process, empty Mesa shader cache ≤ 3 s | ${step(cold)} | ${cold.milliseconds <= 3000 ? 'met' : 'missed'} |`);
    rows.push(`| the same with the cache filled ≤ 0.5 s | ${step(warm)} | ${warm.milliseconds <= 500 ? 'met' : 'missed'} |`);
    const read = await readback(tlGpu.device as WebGpuDevice);
    const times = read.tensorloop / read.dawn;
    rows.push(`| reading back 16 MiB ≤ 2× Dawn's copy + mapAsync | ${read.tensorloop.toFixed(1)} vs ${read.dawn.toFixed(1)} ms = ${times.toFixed(2)}× | ${times <= 2 ? 'met' : 'missed'} |`);
  }
  return ['Targets (same run):', '', '| target | measured | |', '| --- | ---: | --- |', ...rows, ''];
}

function cell(v: number | string | undefined): string {
  return typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : `n/a (${v ?? 'not run'})`;
}

function ratio(ours: number | string | undefined, theirs: number | string | undefined): string {
  return typeof ours === 'number' && typeof theirs === 'number' ? `${(ours / theirs).toFixed(2)}×` : '–';
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
  const onlyModels = process.env.BENCH_MODELS ? new RegExp(process.env.BENCH_MODELS) : null;
  const engines = ENGINES.filter((e) => e === tlCpu || !only || only.test(e.name));
  const unavailable = new Map<string, string>();
  for (const engine of engines) {
    const why = await engine.init();
    if (why) unavailable.set(engine.name, why);
  }
  const load = `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`;
  console.log(`${new Date().toISOString()}; ${load}; adapter ${tlGpu.device?.name ?? 'none'}`);

  const batch = makeBatch();
  const lines: string[] = [];
  const all = new Map<ModelName, Results>();
  const breakdowns: string[] = [];
  for (const model of MODELS.filter((m) => !onlyModels || onlyModels.test(m))) {
    const spec = modelSpec(model);
    const results: Results = new Map(unavailable);
    const trainers = new Map<string, Trainer>();
    for (const engine of engines.filter((e) => !unavailable.has(e.name))) {
      try {
        trainers.set(engine.name, await engine.trainer(spec, batch));
      } catch (error) {
        results.set(engine.name, `fails: ${(error as Error).message.split('\n')[0]!.slice(0, 80)}`);
      }
    }
    lines.push(`${model}: ${(await agreement(trainers, results)).join('\n')}`);
    console.log(lines.at(-1));
    await timeRounds(trainers, results);
    console.log(`${model}: ${[...results].map(([n, v]) => `${n} ${cell(v)}`).join(', ')}`);
    for (const engine of [tlGpu, tlCpu]) {
      const trainer = trainers.get(engine.name);
      if (trainer) breakdowns.push(`${model} on ${(await breakdown(engine.name, trainer)).join('\n')}`);
    }
    for (const trainer of trainers.values()) trainer.dispose();
    all.set(model, results);
  }

  const names = engines.map((e) => e.name);
  const peers = PEERS.filter((p) => names.includes(p));
  const table = [
    `Training step, batch ${BATCH}, images/s (higher is better); ${new Date().toISOString().slice(0, 10)}, ${load} at the start; WebGPU adapter: ${tlGpu.device?.name ?? 'none'}`,
    '',
    `| images/s | ${names.join(' | ')} |`,
    `| --- |${names.map(() => ' ---: |').join('')}`,
    ...[...all].map(([model, r]) => `| ${model} | ${names.map((n) => cell(r.get(n))).join(' | ')} |`),
    '',
    'tensorloop as a multiple of each peer (same run):',
    '',
    `| ratio | ${peers.map((p) => `× ${p}`).join(' | ')} |`,
    `| --- |${peers.map(() => ' ---: |').join('')}`,
    ...[...all].flatMap(([model, r]) =>
      [tlGpu, tlCpu].filter((e) => names.includes(e.name)).map((e) => `| ${model}, ${e.name} | ${peers.map((p) => ratio(r.get(e.name), r.get(p))).join(' | ')} |`),
    ),
    '',
    'Loss agreement (the reference is tensorloop cpu):',
    '',
    ...lines.map((l) => `- ${l}`),
    '',
    'One tensorloop step, per kernel family (TENSORLOOP_PROFILE hook, src/device/profiler.ts):',
    '',
    ...breakdowns,
    ...(await targets(all)),
  ].join('\n');
  console.log(`\n${table}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/train.md', `${table}\n`);
  tlGpu.device?.dispose();
}

main().then(
  () => process.exit(0), // the peers' Dawn instance would keep the process alive
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
