// The TensorBoard and CSV loggers keep what they logged when training dies: a child
// process trains a tiny model on the CPU and is stopped at a random moment, by Ctrl-C
// (SIGINT, which the loop turns into a stop after the current batch) or by an uncaught error. The
// event files are read back with their CRCs checked. After SIGINT at most the last
// second of records may be missing; after an uncaught error nothing; and every finished
// epoch is complete either way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeRecords } from '../../src/io/tfrecord.js';
import { decodeEvent } from '../../src/io/tensorboard-events.js';
import { FLUSH_SECONDS } from '../../src/io/event-file-writer.js';

const source = (file: string): string => JSON.stringify(resolve(file));

// argv: logdir, csv path, the global step to throw at (0: never). Prints one line per
// logged training batch ("batch <globalStep> <ms>") and per finished epoch ("epoch <i>"),
// each after the loggers ran for it.
const CHILD = `
import { TrainingLoop } from ${source('src/loop/training-loop.ts')};
import { tensorBoardStatisticsLogger } from ${source('src/loop/callbacks/tensorboard.ts')};
import { CSVLogger } from ${source('src/loop/callbacks/csv-logger.ts')};
import { SGD } from ${source('src/optim/index.ts')};
import { softmaxCrossEntropy } from ${source('src/losses/index.ts')};
import { Linear, toyBatches } from ${source('test/loop/helpers.ts')};
const [logdir, csvPath, throwAt] = process.argv.slice(2);
const model = new Linear(4, 3);
const batches = toyBatches(256, 8);
let seen;
const report = (loop, event) => {
  if (event === 'batchEnd' && loop.isTraining && loop.lastStatsLog && loop.lastStatsLog !== seen) {
    seen = loop.lastStatsLog;
    process.stdout.write('batch ' + loop.globalStep + ' ' + Date.now() + '\\n');
    if (Number(throwAt) > 0 && loop.globalStep === Number(throwAt)) throw new Error('crash at step ' + throwAt);
  }
  // an epoch cut short by Ctrl-C (the loop stops after the batch) ends without validation
  if (event === 'epochEnd' && !loop.stopRequested) process.stdout.write('epoch ' + loop.epochIndex + '\\n');
};
const loop = new TrainingLoop({
  training: { [Symbol.iterator]: function* () { for (;;) yield batches; } },
  validation: batches.slice(0, 4),
  optimizer: new SGD(model, { learningRate: 0.1 }),
  lossFunction: softmaxCrossEntropy,
  metrics: ['accuracy'],
  progress: false,
  callbacks: [tensorBoardStatisticsLogger({ logdir, runName: 'run' }), new CSVLogger({ path: csvPath }).log, report],
});
await loop.fit(model, { epochs: 100000 });
`;

const folder = mkdtempSync(join(tmpdir(), 'tensorloop-crash-'));
const script = join(folder, 'child.mts');
writeFileSync(script, CHILD);

interface Run {
  batches: { step: number; time: number }[];
  epochs: number[];
  code: number | null;
  signal: NodeJS.Signals | null;
  logdir: string;
  csv: string;
}

/** Trains in a child until `stop(child, firstReportTime)` ends it. */
async function run(name: string, throwAt: number, stop?: (kill: () => void) => void): Promise<Run> {
  const logdir = join(folder, name);
  const csv = join(folder, `${name}.csv`);
  const child = spawn(process.execPath, ['--import', 'tsx', script, logdir, csv, String(throwAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let started = false;
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (!started && out.includes('batch ')) {
      started = true;
      stop?.(() => child.kill('SIGINT'));
    }
  });
  child.stderr.on('data', () => undefined);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.on('exit', (c, s) => done([c, s])));
  const lines = out.split('\n').filter((l) => l.length > 0);
  const batches = lines.filter((l) => l.startsWith('batch ')).map((l) => l.split(' ')).map(([, step, time]) => ({ step: Number(step), time: Number(time) }));
  // a line cut by the kill is dropped
  if (batches.length > 0 && !out.endsWith('\n') && lines[lines.length - 1]!.startsWith('batch ')) batches.pop();
  const epochs = lines.filter((l) => /^epoch \d+$/.test(l)).map((l) => Number(l.split(' ')[1]));
  return { batches, epochs, code, signal, logdir, csv };
}

/** The scalars of one phase's event file, read back with every CRC checked. */
function scalars(logdir: string, phase: 'train' | 'validation'): { tag: string; step: number }[] {
  const dir = join(logdir, 'run', phase);
  const files = readdirSync(dir);
  assert.is(files.length, 1, `one event file in ${dir}`);
  const events = decodeRecords(readFileSync(join(dir, files[0]!))).map(decodeEvent);
  assert.is(events[0]!.fileVersion, 'brain.Event:2');
  return events.slice(1).map((e) => ({ tag: e.summary![0]!.tag, step: e.step ?? 0 }));
}

function csvRows(path: string, phase: string): number {
  return readFileSync(path, 'utf8').split('\n').filter((row) => row.split(',')[2] === phase).length;
}

test('Ctrl-C at a random moment: at most the last second of records is missing, finished epochs are complete', async () => {
  const delay = 1500 + Math.random() * 2000;
  const result = await run('sigint', 0, (kill) => setTimeout(kill, delay));
  // ended by the signal's default action, or by a handler of the loop that stops the fit
  assert.ok(result.signal === 'SIGINT' || result.code !== null, `the child ended (signal ${result.signal}, exit code ${result.code})`);
  assert.ok(result.batches.length > 20, `the child trained (${result.batches.length} batches reported)`);
  const logged = new Set(scalars(result.logdir, 'train').filter((s) => s.tag === 'batch_loss').map((s) => s.step));
  const lastSeen = result.batches[result.batches.length - 1]!.time;
  const missing = result.batches.filter((b) => !logged.has(b.step));
  const missingOld = missing.filter((b) => b.time < lastSeen - FLUSH_SECONDS * 1000 - 100);
  assert.equal(missingOld.map((b) => b.step), [], `${missing.length} of ${result.batches.length} batches missing, killed after ${Math.round(delay)} ms`);
  const trainEpochs = new Set(scalars(result.logdir, 'train').filter((s) => s.tag === 'epoch_loss').map((s) => s.step));
  const validationEpochs = new Set(scalars(result.logdir, 'validation').filter((s) => s.tag === 'epoch_loss').map((s) => s.step));
  for (const epoch of result.epochs) assert.ok(trainEpochs.has(epoch) && validationEpochs.has(epoch), `epoch ${epoch} in both files`);
  assert.ok(csvRows(result.csv, 'train') >= result.batches.length, 'a CSV row for every reported batch');
});

test('an uncaught error at a random step: every record up to it is on disk', async () => {
  const throwAt = 60 + Math.floor(Math.random() * 100);
  const result = await run('error', throwAt);
  assert.is(result.code, 1, 'the child died of the uncaught error');
  assert.is(result.batches[result.batches.length - 1]!.step, throwAt);
  const logged = scalars(result.logdir, 'train').filter((s) => s.tag === 'batch_loss').map((s) => s.step);
  assert.equal(logged, result.batches.map((b) => b.step));
  const validationEpochs = scalars(result.logdir, 'validation').filter((s) => s.tag === 'epoch_loss').map((s) => s.step);
  assert.equal(validationEpochs, result.epochs);
  assert.is(csvRows(result.csv, 'train'), result.batches.length);
});

test.run();
