// Ctrl-C during fit, in a child process that trains a tiny model on the CPU with
// modelCheckpoint: the first SIGINT stops after the current batch with the end events, the
// checkpoint of where it stood is saved and the line saying how to resume is printed, and
// the process ends normally; resuming from that file continues at the next batch. A second
// SIGINT while the first is being handled exits at once with status 130.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TrainingLoopAction } from '../../src/loop/actions.js';
import type { TrainingLoopState } from '../../src/loop/state.js';

const source = (file: string): string => JSON.stringify(resolve(file));

// argv: checkpoint folder, 'slow' to hold the stopping batch for 20 s (room for a second
// Ctrl-C). Prints "batch <epoch> <batch> <globalStep>" after each training batch and
// "event <name>" for the end events once a stop was requested. Also imported by the parent.
const SETUP = `
import { TrainingLoop } from ${source('src/loop/training-loop.ts')};
import { modelCheckpoint } from ${source('src/loop/callbacks/model-checkpoint.ts')};
import { TrainingEpochs, inBatches } from ${source('src/data/epochs.ts')};
import { ImageSamples } from ${source('src/data/samples.ts')};
import { cpu } from ${source('src/device/cpu.ts')};
import { Dense, Dropout, Sequential } from ${source('src/nn/index.ts')};
import { Adam } from ${source('src/optim/index.ts')};
import { softmaxCrossEntropy } from ${source('src/losses/index.ts')};
export function setup(folder, callbacks = []) {
  const pixels = Uint8Array.from({ length: 64 * 4 }, (_, i) => (i * 37) % 251);
  const labels = Uint8Array.from({ length: 64 }, (_, i) => i % 3);
  const samples = new ImageSamples(pixels, labels, [4], cpu);
  const model = new Sequential(new Dense(4, 8, { activation: 'relu', seed: 1, device: cpu }), new Dropout(0.2, { seed: 2 }), new Dense(8, 3, { seed: 3, device: cpu }));
  const loop = new TrainingLoop({
    training: new TrainingEpochs(samples, { batchSize: 4, seed: 4 }),
    validation: inBatches(samples, 16),
    optimizer: new Adam(model),
    lossFunction: softmaxCrossEntropy,
    progress: false,
    callbacks: [modelCheckpoint({ dir: folder, log: (m) => console.log(m) }), ...callbacks],
  });
  return { model, loop };
}
`;

const CHILD = `
import { setup } from './setup.mts';
const [folder, mode] = process.argv.slice(2);
const report = async (loop, event) => {
  if (event === 'batchEnd' && loop.isTraining) {
    console.log('batch ' + loop.epochIndex + ' ' + loop.batchIndex + ' ' + loop.globalStep);
    if (loop.stopRequested && mode === 'slow') await new Promise((done) => setTimeout(done, 20000));
    else await new Promise((done) => setTimeout(done, 5)); // a batch takes a while
  }
  if (loop.stopRequested && event.endsWith('End')) console.log('event ' + event);
};
const { model, loop } = setup(folder, [report]);
await loop.fit(model, { epochs: 1000 });
console.log('fit returned');
`;

const folder = mkdtempSync(join(tmpdir(), 'tensorloop-interrupt-'));
writeFileSync(join(folder, 'setup.mts'), SETUP);
writeFileSync(join(folder, 'child.mts'), CHILD);

interface Result {
  out: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the child; `onOutput(out, sigint)` is called with all output so far at each chunk. */
async function runChild(checkpoints: string, mode: string, onOutput: (out: string, sigint: () => void) => void): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(folder, 'child.mts'), checkpoints, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const take = (chunk: Buffer): void => {
    out += chunk.toString();
    onOutput(out, () => child.kill('SIGINT'));
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.on('exit', (c, s) => done([c, s])));
  clearTimeout(timer);
  return { out, code, signal };
}

test('the first Ctrl-C stops after the batch, fires the end events, saves a checkpoint and says how to resume; the file resumes', async () => {
  const checkpoints = join(folder, 'once');
  let sent = false;
  const result = await runChild(checkpoints, 'normal', (out, sigint) => {
    // after a few batches of the second epoch, so an epoch checkpoint exists too
    if (!sent && /^batch 1 3 /m.test(out)) {
      sent = true;
      sigint();
    }
  });
  assert.is(result.code, 0, `ended normally:\n${result.out}`);
  assert.match(result.out, /Interrupted: stopping after the current batch \(press Ctrl-C again to exit at once\)/);
  const events = result.out.split('\n').filter((l) => l.startsWith('event ')).map((l) => l.slice(6));
  assert.equal(events, ['batchEnd', 'trainingEnd', 'epochEnd', 'fitEnd'], result.out);
  assert.match(result.out, /fit returned/);
  const batches = result.out.split('\n').filter((l) => l.startsWith('batch ')).map((l) => l.split(' ').slice(1).map(Number));
  const [epoch, batch, globalStep] = batches.at(-1)!;
  const hint = /To continue: loop\.fit\(model, \{epochs: 1000, resumeFrom: ("[^"]+")\}\)/.exec(result.out);
  assert.ok(hint, result.out);
  const file = JSON.parse(hint![1]!) as string;
  assert.is(file, resolve(checkpoints, `epoch-${String(epoch! + 1).padStart(3, '0')}-interrupted.safetensors`));
  assert.ok(existsSync(file));
  assert.ok(existsSync(join(checkpoints, 'epoch-001.safetensors')));

  // resume here, for the rest of that epoch
  const { setup } = (await import(join(folder, 'setup.mts'))) as { setup: (folder: string, callbacks: unknown[]) => { model: never; loop: { fit(model: never, options: object): Promise<unknown>; globalStep: number } } };
  const seen: number[][] = [];
  const { model, loop } = setup(join(folder, 'resumed'), [
    (state: TrainingLoopState, event: string) => {
      if (event === 'batchStart' && state.isTraining) seen.push([state.epochIndex!, state.batchIndex!, state.globalStep]);
      if (event === 'epochEnd') throw TrainingLoopAction.cancelFit;
    },
  ]);
  await loop.fit(model, { epochs: 1000, resumeFrom: file });
  assert.equal(seen[0], [epoch, batch! + 1, globalStep! + 1], 'it continues at the next batch, with the global step');
  assert.is(seen.length, 16 - (batch! + 1), 'and finishes that epoch');
});

test('a second Ctrl-C exits at once with status 130', async () => {
  let sent = 0;
  const result = await runChild(join(folder, 'twice'), 'slow', (out, sigint) => {
    if (sent === 0 && /^batch 0 2 /m.test(out)) {
      sent = 1;
      sigint();
    } else if (sent === 1 && out.includes('Interrupted: stopping')) {
      sent = 2;
      sigint();
    }
  });
  assert.is(result.code, 130, result.out);
  assert.match(result.out, /Interrupted again: exiting now/);
  assert.not.match(result.out, /fit returned/);
  assert.not.match(result.out, /event fitEnd/);
});

test('in process: SIGINT during fit stops it; without modelCheckpoint it says nothing was saved; the handler is gone after fit', async () => {
  const { TrainingLoop } = await import('../../src/loop/training-loop.js');
  const { SGD } = await import('../../src/optim/index.js');
  const { softmaxCrossEntropy } = await import('../../src/losses/index.js');
  const { Linear, toyBatches } = await import('./helpers.js');
  const model = new Linear(4, 3);
  const batches = toyBatches(32, 4);
  const before = process.listenerCount('SIGINT');
  let during = -1;
  const loop = new TrainingLoop({
    training: [batches, batches],
    validation: batches,
    optimizer: new SGD(model),
    lossFunction: softmaxCrossEntropy,
    progress: false,
    callbacks: [
      (state: TrainingLoopState, event: string) => {
        if (event === 'batchEnd' && state.isTraining && state.batchIndex === 2) {
          during = process.listenerCount('SIGINT');
          process.emit('SIGINT'); // as a Ctrl-C would, without a real signal
        }
      },
    ],
  });
  const printed: string[] = [];
  const log = console.log;
  console.log = (message: string) => void printed.push(message);
  let history;
  try {
    history = await loop.fit(model, { epochs: 2 });
  } finally {
    console.log = log;
  }
  assert.is(during, before + 1, 'a handler while fitting');
  assert.is(process.listenerCount('SIGINT'), before, 'none after');
  assert.is(history.epochCount, 1);
  assert.is(loop.globalStep, 3);
  assert.match(printed.join('\n'), /Interrupted: stopping after the current batch/);
  assert.match(printed.join('\n'), /Nothing was saved to resume from: with modelCheckpoint/);
  const unhandled = await loop.fit(model, { epochs: 1, handleInterrupts: false });
  assert.is(during, before, 'handleInterrupts: false installs none');
  assert.is(unhandled.epochCount, 1);
  assert.is(loop.globalStep, 3 + 8, 'and the emitted SIGINT stops nothing');
});

test.after(() => rmSync(folder, { recursive: true, force: true }));

test.run();
