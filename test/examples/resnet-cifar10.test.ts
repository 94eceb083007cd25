// The ResNet-CIFAR10 example end to end on tiny CIFAR-10 files written here in the
// standard binary format (4 records per file instead of 10,000), and its message when
// the data is missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testDevices } from '../helpers/devices.js';
import { CIFAR10_FILES, CIFAR10_URL, missingDataMessage, trainResNet } from '../../examples/resnet-cifar10.js';

/** 6 files of `records` records: label r % 10, then 3 planes of 32×32 seeded bytes. */
function writeTinyCIFAR(records: number, files = CIFAR10_FILES): string {
  const dir = mkdtempSync(join(tmpdir(), 'cifar-'));
  files.forEach((name, f) => {
    const bytes = new Uint8Array(records * 3073);
    for (let r = 0; r < records; r++) {
      bytes[r * 3073] = (r + f) % 10;
      for (let i = 1; i < 3073; i++) bytes[r * 3073 + i] = (r * 31 + i * 7 + f) % 256;
    }
    writeFileSync(join(dir, name), bytes);
  });
  return dir;
}

for (const device of await testDevices()) {
  test(`${device.name}: trainResNet: ResNet-20 on tiny CIFAR-10 files, --limit 8 → 2 training batches, accuracy on 4 test images`, async () => {
    const path = writeTinyCIFAR(4);
    const counts = { training: 0, validation: 0 };
    const result = await trainResNet({
      device,
      path,
      depth: 20,
      epochs: 1,
      batchSize: 4,
      limit: 8,
      validationLimit: 4,
      learningRate: 0.01,
      seed: 1,
      recordsPerFile: 4,
      progress: false,
      callbacks: [(loop, event) => void (event === 'batchEnd' && counts[loop.isTraining ? 'training' : 'validation']++)],
    });
    assert.equal(counts, { training: 2, validation: 1 });
    assert.ok(Number.isFinite(result.training.loss) && result.training.loss! > 0);
    // 4 validation images: accuracy is a multiple of 1/4
    const correct = result.validation.accuracy! * 4;
    assert.ok(Math.abs(correct - Math.round(correct)) < 1e-6 && correct >= 0 && correct <= 4, `accuracy ${result.validation.accuracy}`);
    assert.is(result.model.blocks.length, 9); // (20 − 2) / 6 = 3 blocks per stage
  });
}

test('missingDataMessage: says what to download and where, or nothing when complete', () => {
  const absent = missingDataMessage(join(tmpdir(), 'no-such-cifar'));
  assert.ok(absent?.includes(CIFAR10_URL));
  assert.match(absent!, /tar xzf cifar-10-binary\.tar\.gz/);
  assert.match(absent!, /--data path\/to\/cifar-10-batches-bin/);
  const partial = writeTinyCIFAR(1, CIFAR10_FILES.slice(0, 5));
  assert.match(missingDataMessage(partial)!, /lacks test_batch\.bin/);
  assert.is(missingDataMessage(writeTinyCIFAR(1)), undefined);
});

test('the script prints the download instructions and exits 1 when the data is missing', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/resnet-cifar10.ts', '--data', join(tmpdir(), 'no-such-cifar')], { encoding: 'utf8' });
  assert.is(run.status, 1);
  assert.ok(run.stdout.includes(CIFAR10_URL), run.stdout + run.stderr);
});

test.run();
