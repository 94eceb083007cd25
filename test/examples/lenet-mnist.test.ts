// The LeNet-MNIST example (npm start) on a few steps of real MNIST: its wiring (oneCycle,
// the CSV log, the History), and the training-only throughput it reports.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
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

test.run();
