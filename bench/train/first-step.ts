// One process's first LeNet-5 training step on WebGPU, for the bench's first-step target.
// bench/train/targets.ts runs it as a child process twice: with an empty Mesa shader cache
// (MESA_SHADER_CACHE_DIR set to a new folder: lavapipe compiles every shader at its first
// dispatch) and again with that cache filled (only Dawn's own WGSL translation and pipeline
// creation remain). Times from the step's start to its loss on the host; the device, the
// model and the batch already exist. Prints one line of JSON.

import { Device } from '../../src/device/index.js';
import { valueWithGradient } from '../../src/autodiff/gradients.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { endScope, startScope } from '../../src/memory.js';
import { SGD } from '../../src/optim/sgd.js';
import { tensor } from '../../src/tensor.js';
import { BATCH, LEARNING_RATE, makeBatch, modelSpec } from './models.js';
import { buildModel } from './tensorloop.js';

const device = await Device.webgpu();
const model = buildModel(modelSpec('LeNet-5'), device);
const optimizer = new SGD(model, { learningRate: LEARNING_RATE });
const batch = makeBatch();
const images = tensor(batch.images, { shape: [BATCH, 28, 28, 1], device });
const labels = tensor(batch.labels, { shape: [BATCH], dtype: 'int32', device });
await images.data(); // the upload is not part of the step

const cpuBefore = process.cpuUsage();
const start = performance.now();
startScope();
const [loss, gradients] = valueWithGradient(model, (m) => softmaxCrossEntropy(m.forward(images), labels));
optimizer.update(model, gradients);
const value = await loss.item();
endScope();
const milliseconds = performance.now() - start;
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ milliseconds, cpuMilliseconds: (cpu.user + cpu.system) / 1000, loss: value, adapter: device.name }));
process.exit(0); // Dawn's instance would keep the process alive
