// The browser counterparts of the Node-only pieces, checked here in Node (they use only
// what a browser has too): checkpoints to and from bytes (through a Blob) equal to the
// file a path gets, the CSV log as text, MNIST fetched from URLs
// (raw or .gz) equal to MNIST read from the files, and the event-loop turn the loop awaits.

import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MNIST, MNIST_FILE_NAMES, mnistDataDirectory } from '../../src/data/mnist.js';
import { cpu } from '../../src/device/cpu.js';
import { TensorLoopError } from '../../src/errors.js';
import { saveCheckpoint } from '../../src/io/checkpoint.js';
import { checkpointFromBytes, checkpointToBytes } from '../../src/io/checkpoint-format.js';
import { CSVLogger } from '../../src/loop/callbacks/csv-logger.js';
import { TrainingLoop } from '../../src/loop/training-loop.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { SGD } from '../../src/optim/index.js';
import { eventLoopTurn } from '../../src/platform.js';
import { Linear, toyBatches } from '../loop/helpers.js';

/** Resolves when `promise` rejects with a TensorLoopError whose message matches `pattern`. */
async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, TensorLoopError, 'expected a TensorLoopError');
  assert.match((error as Error).message, pattern);
}

test('a checkpoint as bytes equals the saved file and restores through a Blob, as a browser keeps it', async () => {
  const model = new Linear(4, 3, cpu, 1);
  const optimizer = new SGD(model, { learningRate: 0.1, momentum: 0.9 });
  const bytes = await checkpointToBytes({ model, optimizer, extra: { epoch: 2 } });
  const path = join(await mkdtemp(join(tmpdir(), 'tensorloop-bytes-')), 'a.safetensors');
  await saveCheckpoint(path, { model, optimizer, extra: { epoch: 2 } });
  assert.ok(Buffer.from(bytes).equals(await readFile(path)), 'the file holds other bytes');
  const blob = new Blob([bytes], { type: 'application/octet-stream' });
  const copy = new Linear(4, 3, cpu, 99);
  const { extra } = checkpointFromBytes(new Uint8Array(await blob.arrayBuffer()), { model: copy, optimizer: new SGD(copy, { learningRate: 0.1, momentum: 0.9 }) });
  assert.equal(extra, { epoch: 2 });
  assert.equal(await copy.weight.data(), await model.weight.data());
});

test('CSVLogger({path: null}) collects the CSV as text', async () => {
  const logger = new CSVLogger({ path: null });
  const model = new Linear(4, 3, cpu);
  const loop = new TrainingLoop({
    training: [toyBatches(8, 4, cpu)],
    validation: toyBatches(4, 4, cpu),
    optimizer: new SGD(model, { learningRate: 0.1 }),
    lossFunction: softmaxCrossEntropy,
    callbacks: [logger.log],
    progress: false,
  });
  await loop.fit(model, { epochs: 1 });
  const lines = logger.text.trimEnd().split('\n');
  assert.is(lines[0], "epoch,batch,phase,loss,learning_rate");
  assert.equal(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(',')), ['1,1,train', '1,2,train', '1,1,validation']);
});

/** The first `count` items of an MNIST IDX file, with the count in its header changed to match. */
function firstItems(bytes: Uint8Array, count: number): Uint8Array {
  const rank = bytes[3]!;
  const itemBytes = rank === 3 ? 28 * 28 : 1;
  const header = 4 + 4 * rank;
  const out = bytes.slice(0, header + count * itemBytes);
  new DataView(out.buffer).setUint32(4, count, false);
  return out;
}

test('MNIST.fetch: the files from URLs (raw, or .gz when the raw one is missing) give the dataset read from disk', async () => {
  // small copies of the real files (100 training, 30 test images) in a folder, also served over HTTP
  const folder = await mkdtemp(join(tmpdir(), 'tensorloop-mnist-'));
  for (const name of Object.values(MNIST_FILE_NAMES)) {
    await writeFile(join(folder, name), firstItems(readFileSync(join(mnistDataDirectory(), name)), name.startsWith('train') ? 100 : 30));
  }
  const server = createServer((request, response) => {
    const name = request.url!.slice('/data/'.length);
    // the images are served raw only, the labels gzipped only
    if (/^(train|t10k)-images-idx3-ubyte$/.test(name)) response.end(readFileSync(join(folder, name)));
    else if (/^(train|t10k)-labels-idx1-ubyte\.gz$/.test(name)) response.end(gzipSync(readFileSync(join(folder, name.slice(0, -3)))));
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const options = { batchSize: 10, device: cpu, validationSize: 20 };
    const fetched = await MNIST.fetch(`http://127.0.0.1:${port}/data`, options);
    const read = new MNIST({ ...options, path: folder });
    assert.is(fetched.trainingSamples.count, 100);
    assert.is(fetched.validationSamples.count, 20);
    assert.ok(Buffer.from(fetched.trainingSamples.pixels).equals(read.trainingSamples.pixels), 'training images differ');
    assert.ok(Buffer.from(fetched.trainingSamples.labels).equals(read.trainingSamples.labels), 'training labels differ');
    assert.ok(Buffer.from(fetched.validationSamples.labels).equals(read.validationSamples.labels), 'test labels differ');
    await rejectsWith(MNIST.fetch(`http://127.0.0.1:${port}/nothing/`, options), /cannot fetch http:\/\/127\.0\.0\.1:\d+\/nothing\/train-images-idx3-ubyte \(HTTP 404/);
    await rejectsWith(MNIST.fetch('mnist/', options), /not a URL/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('eventLoopTurn resolves after a macrotask queued before it, not just after microtasks', async () => {
  const order: string[] = [];
  setTimeout(() => order.push('timer'), 0);
  await new Promise((resolve) => setTimeout(resolve, 1)); // let the timer phase come round once
  setImmediate(() => order.push('immediate'));
  await eventLoopTurn();
  order.push('turned');
  assert.equal(order, ['timer', 'immediate', 'turned']);
});

test.run();
