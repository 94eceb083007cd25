// The LeNet-MNIST example (npm start) on a few steps of real MNIST: its wiring (oneCycle,
// the CSV log, the History), and the training-only throughput it reports.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpu } from '../../src/device/cpu.js';
import { testDevices } from '../helpers/devices.js';
import { trainLeNet } from '../../examples/lenet-mnist.js';

for (const device of await testDevices()) {
  test(`${device.name}: trainLeNet: 3 batches of 32 and 64 validation images, one-cycle rates, CSV, History, training time apart from validation`, async () => {
    const csv = join(mkdtempSync(join(tmpdir(), 'lenet-')), 'log.csv');
    const rates: number[] = [];
    let validationSeconds = 0;
    let start = 0;
    const result = await trainLeNet({
      device,
      epochs: 1,
      batchSize: 32,
      learningRate: 4e-3,
      trainingSize: 96,
      validationSize: 64,
      csv,
      progress: false,
      callbacks: [
        { onUpdateStart: (l) => void rates.push(l.optimizer.learningRate) },
        { onValidationStart: () => void (start = performance.now()), onValidationEnd: () => void (validationSeconds = (performance.now() - start) / 1000) },
      ],
    });
    assert.is(rates.length, 3);
    assert.ok(Math.abs(rates[0]! - 4e-3 / 25) < 1e-12 && Math.abs(rates[1]! - 4e-3) < 1e-12, `one-cycle rates ${rates}`);
    assert.is(result.history.epochCount, 1);
    const accuracy = result.history.last('validation', 'accuracy');
    assert.ok(accuracy >= 0 && accuracy <= 1);
    assert.is(result.trainingSamples, 96, 'only training samples are counted');
    assert.ok(result.trainingSeconds > 0 && validationSeconds > 0);
    const rows = readFileSync(csv, 'utf8').trimEnd().split('\n');
    assert.is(rows[0], 'epoch,batch,phase,loss,accuracy,learning_rate');
    assert.is(rows.length, 1 + 3 + 2);
    result.model.dispose();
  });
}

test('cpu: with findLearningRate the one-cycle schedule peaks at learningRateFinder\'s suggestion', async () => {
  const rates: number[] = [];
  const result = await trainLeNet({
    device: cpu,
    epochs: 1,
    batchSize: 32,
    learningRate: 4e-3,
    trainingSize: 96,
    validationSize: 32,
    csv: join(mkdtempSync(join(tmpdir(), 'lenet-')), 'log.csv'),
    progress: false,
    findLearningRate: { steps: 5, startRate: 1e-4, endRate: 1e-1, csvPath: null, svgPath: null, log: false },
    callbacks: [{ onUpdateStart: (l) => void rates.push(l.optimizer.learningRate) }],
  });
  assert.is(result.finder!.rates.length, 5, 'the test ran over the data (repeating its 3 batches)');
  assert.is(result.maxRate, result.finder!.suggestion);
  assert.ok(Math.abs(rates[1]! - result.maxRate) < 1e-12, `the peak ${rates[1]} is the suggestion ${result.maxRate}`);
  assert.is(rates.length, 3, 'the fit itself ran its 3 batches');
  result.model.dispose();
});

test('the command line: --training-size and --validation-size shorten the run; it reports training throughput and where the logs went', () => {
  const folder = mkdtempSync(join(tmpdir(), 'lenet-cli-'));
  const csv = join(folder, 'log.csv');
  const args = ['--import', 'tsx', 'examples/lenet-mnist.ts', '--device', 'cpu', '--epochs', '1', '--batch-size', '32', '--training-size', '64', '--validation-size', '48', '--csv', csv, '--checkpoints', join(folder, 'checkpoints')];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /validation accuracy: \d+\.\d\d%/);
  assert.match(run.stdout, /training [\d.]+ s, \d+ training samples\/s/);
  assert.ok(run.stdout.includes(`logs: CSV ${csv} (add --tensorboard for TensorBoard)`), run.stdout);
  const phases = readFileSync(csv, 'utf8').trimEnd().split('\n').slice(1).map((row) => row.split(',')[2]);
  assert.equal(phases, ['train', 'train', 'validation', 'validation'], '2 training batches of 32, 48 validation images in 2 batches');
  assert.ok(existsSync(join(folder, 'checkpoints', 'epoch-001.safetensors')), 'the epoch was saved');

  // --resume continues that run: epoch 2 of 2, the CSV continued under its one header
  const resumed = spawnSync(process.execPath, [...args.map((a) => (a === '1' ? '2' : a)), '--resume', join(folder, 'checkpoints', 'epoch-001.safetensors')], { encoding: 'utf8' });
  assert.is(resumed.status, 0, resumed.stderr);
  assert.ok(!resumed.stdout.includes('Epoch 1/2'), resumed.stdout);
  assert.match(resumed.stdout, /Epoch 2\/2/);
  const rows = readFileSync(csv, 'utf8').trimEnd().split('\n');
  assert.is(rows.filter((row) => row.startsWith('epoch,')).length, 1, 'one header');
  assert.equal(rows.slice(1).map((row) => row.split(',').slice(0, 3).join(',')), ['1,1,train', '1,2,train', '1,1,validation', '1,2,validation', '2,1,train', '2,2,train', '2,1,validation', '2,2,validation']);
});

test.run();
