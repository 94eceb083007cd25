// Data loaders on crafted bad files: every problem is a TensorLoopError naming the file
// and what is wrong with it (truncated, bad magic, wrong size, not gzip, unreadable),
// never a raw zlib, RangeError or file-system error.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CIFAR10 } from '../../src/data/cifar10.js';
import { MNIST } from '../../src/data/mnist.js';
import { cpu } from '../../src/device/cpu.js';
import { TrainingEpochs, inBatches } from '../../src/data/epochs.js';
import { ImageSamples } from '../../src/data/samples.js';
import { parseIdx } from '../../src/data/idx.js';
import { TensorLoopError } from '../../src/errors.js';

/** An IDX file of unsigned bytes with the given dimensions (values i % 256, or `fill`). */
function idx(dims: number[], fill?: (i: number) => number): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + size);
  out.set([0, 0, 8, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < size; i++) out[4 + 4 * dims.length + i] = fill ? fill(i) : i % 256;
  return out;
}

/** A folder holding the four MNIST files (3 training, 2 test images), `change` applied. */
function mnistFolder(change: (folder: string) => void): string {
  const folder = mkdtempSync(join(tmpdir(), 'mnist-bad-'));
  writeFileSync(join(folder, 'train-images-idx3-ubyte'), idx([3, 28, 28]));
  writeFileSync(join(folder, 'train-labels-idx1-ubyte'), idx([3], (i) => i));
  writeFileSync(join(folder, 't10k-images-idx3-ubyte'), idx([2, 28, 28]));
  writeFileSync(join(folder, 't10k-labels-idx1-ubyte'), idx([2], (i) => i));
  change(folder);
  return folder;
}

function refuses(make: () => unknown, file: string, problem: RegExp): void {
  try {
    make();
  } catch (error) {
    assert.instance(error, TensorLoopError, `got ${String(error)}`);
    const message = (error as Error).message;
    assert.ok(message.includes(file), `'${message}' names ${file}`);
    assert.match(message, problem);
    return;
  }
  assert.unreachable('the bad file was accepted');
}

const mnist = (path: string) => () => new MNIST({ batchSize: 1, path, device: cpu });

test('MNIST: the good crafted folder loads (so each case below fails for its own change)', () => {
  const dataset = new MNIST({ batchSize: 1, path: mnistFolder(() => undefined), device: cpu });
  assert.is(dataset.trainingSamples.count, 3);
  assert.is(dataset.validationSamples.count, 2);
});

test('MNIST: a .gz that is not gzip, or cut short, names the file', () => {
  let file = '';
  const notGzip = mnistFolder((f) => {
    rmSync(join(f, 'train-images-idx3-ubyte'));
    file = join(f, 'train-images-idx3-ubyte.gz');
    writeFileSync(file, 'this is an HTML error page, not gzip');
  });
  refuses(mnist(notGzip), file, /is not a valid gzip file .*truncated or corrupt/);
  const cut = mnistFolder((f) => {
    const gz = gzipSync(readFileSync(join(f, 'train-labels-idx1-ubyte')));
    rmSync(join(f, 'train-labels-idx1-ubyte'));
    file = join(f, 'train-labels-idx1-ubyte.gz');
    writeFileSync(file, gz.subarray(0, gz.length - 6));
  });
  refuses(mnist(cut), file, /is not a valid gzip file/);
});

test('MNIST: bad magic, truncated data, wrong dimensions, bad labels and mismatched counts name the file', () => {
  let file = '';
  const set = (name: string, bytes: Uint8Array | string) => (f: string) => writeFileSync((file = join(f, name)), bytes);
  refuses(mnist(mnistFolder(set('train-images-idx3-ubyte', '<html>not found</html>'))), file, /not an IDX file \(magic number 0x3c68746d/);
  refuses(mnist(mnistFolder(set('t10k-images-idx3-ubyte', idx([2, 28, 28]).subarray(0, 100)))), file, /need 1584 bytes, the file has 100 \(truncated\)/);
  refuses(mnist(mnistFolder(set('train-labels-idx1-ubyte', idx([3]).subarray(0, 6)))), file, /truncated header/);
  refuses(mnist(mnistFolder(set('train-images-idx3-ubyte', idx([3, 27, 28])))), file, /holds dimensions \[3, 27, 28\], expected \[N, 28, 28\]/);
  refuses(mnist(mnistFolder(set('train-labels-idx1-ubyte', idx([3], (i) => 7 + 2 * i)))), file, /label 2 is 11, not a digit/);
  refuses(mnist(mnistFolder(set('t10k-labels-idx1-ubyte', idx([5])))), file, /holds 2 images but .*t10k-labels-idx1-ubyte labels of dimensions \[5\]/);
  refuses(mnist(mnistFolder(set('train-labels-idx1-ubyte', Uint8Array.from([0, 0, 8, 0])))), file, /holds 0 dimensions/);
});

test('MNIST and CIFAR-10: a file that cannot be read (a folder in its place) names it', () => {
  let file = '';
  const folderInPlace = (f: string): void => {
    rmSync(join(f, 'train-images-idx3-ubyte'));
    mkdirSync((file = join(f, 'train-images-idx3-ubyte.gz')));
  };
  refuses(mnist(mnistFolder(folderInPlace)), file, /cannot read .*EISDIR/);
  const folder = cifarFolder();
  file = join(folder, 'test_batch.bin');
  rmSync(file);
  mkdirSync(file);
  refuses(cifar(folder), file, /CIFAR10: cannot read .*EISDIR/);
});

/** A CIFAR-10 folder of 2 records per file. */
function cifarFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'cifar-bad-'));
  const record = new Uint8Array(3073);
  for (const name of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
    writeFileSync(join(folder, `${name}.bin`), Buffer.concat([record, record]));
  }
  return folder;
}
const cifar = (path: string) => () => new CIFAR10({ batchSize: 1, path, device: cpu, recordsPerFile: 2 });

test('CIFAR-10: a truncated file and a bad label name the file', () => {
  const folder = cifarFolder();
  assert.is(new CIFAR10({ batchSize: 1, path: folder, device: cpu, recordsPerFile: 2 }).trainingSamples.count, 10);
  const file = join(folder, 'data_batch_3.bin');
  writeFileSync(file, new Uint8Array(3073 + 100));
  refuses(cifar(folder), file, /has 3173 bytes, expected 6146 .*truncated or not CIFAR-10 binary/);
  const bad = new Uint8Array(6146);
  bad[3073] = 12;
  writeFileSync(file, bad);
  refuses(cifar(folder), file, /record 1 has label 12, not 0-9/);
});

test('datasets given missing pieces say what is missing (TypeErrors before)', () => {
  const loopError = (pattern: RegExp) => (e: Error) => e instanceof TensorLoopError && pattern.test(e.message);
  assert.throws(() => new TrainingEpochs(null as never, { batchSize: 1 }), loopError(/^TrainingEpochs: samples must be a sample source/));
  assert.throws(() => inBatches(undefined as never, 1), loopError(/^inBatches: samples must be a sample source/));
  assert.throws(() => new ImageSamples(null as never, null as never, [1], cpu), loopError(/^ImageSamples: pixels and labels must be Uint8Arrays/));
  assert.throws(() => new ImageSamples(new Uint8Array(2), new Uint8Array(2), null as never, cpu), loopError(/^ImageSamples: bad sampleShape null/));
  assert.throws(() => parseIdx(undefined as never, 'x-idx1-ubyte'), loopError(/^IDX file x-idx1-ubyte: expected its bytes/));
  assert.throws(() => new MNIST({ batchSize: 1, files: {} as never, device: cpu }), loopError(/^IDX file train-images-idx3-ubyte: expected its bytes as a Uint8Array, got nothing/));
});

test.run();
