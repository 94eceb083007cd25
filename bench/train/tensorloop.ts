// tensorloop's training step in the bench: the model as a Sequential of the library's own
// layers, and the step the TrainingLoop runs — valueWithGradient of softmaxCrossEntropy,
// the optimizer's update, the loss read back — inside one scope so memory stays flat.

import { Device } from '../../src/device/index.js';
import type { Device as DeviceType } from '../../src/device/device.js';
import type { WebGpuDevice } from '../../src/device/webgpu.js';
import { valueWithGradient } from '../../src/autodiff/gradients.js';
import { softmaxCrossEntropy } from '../../src/losses/index.js';
import { endScope, keep, startScope } from '../../src/memory.js';
import { Conv2D } from '../../src/nn/conv.js';
import { Dense } from '../../src/nn/dense.js';
import type { Module } from '../../src/nn/module.js';
import { Flatten, MaxPool2D } from '../../src/nn/pooling.js';
import { Sequential } from '../../src/nn/sequential.js';
import { SGD } from '../../src/optim/sgd.js';
import { tensor } from '../../src/tensor.js';
import { BATCH, type Batch, type Engine, LEARNING_RATE, type ModelSpec, type Trainer } from './models.js';

/** The model as tensorloop layers, each parameter loaded from the spec. */
export function buildModel(spec: ModelSpec, device: DeviceType): Module {
  const values = new Map(spec.parameters.map((p) => [p.name, p]));
  const initializer = (name: string) => () => {
    const p = values.get(name)!;
    return keep(tensor(p.data, { shape: p.shape, device }));
  };
  const layers = spec.layers.map((layer): Module => {
    switch (layer.kind) {
      case 'conv': {
        const shape = values.get(layer.weight)!.shape as [number, number, number, number];
        const conv = new Conv2D(shape, { padding: layer.padding, activation: 'relu', weightInitializer: initializer(layer.weight), device });
        conv.bias?.dispose();
        conv.bias = initializer(layer.bias)();
        return conv;
      }
      case 'maxPool':
        return new MaxPool2D({ windowSize: 2, strides: 2 });
      case 'flatten':
        return new Flatten();
      case 'dense': {
        const [inputSize, outputSize] = values.get(layer.weight)!.shape as [number, number];
        const dense = new Dense(inputSize, outputSize, { activation: layer.relu ? 'relu' : 'identity', weightInitializer: initializer(layer.weight), device });
        dense.bias?.dispose();
        dense.bias = initializer(layer.bias)();
        return dense;
      }
    }
  });
  return new Sequential(...layers);
}

export function tensorloopEngine(kind: 'cpu' | 'webgpu'): Engine & { device?: DeviceType } {
  const engine: Engine & { device?: DeviceType } = {
    name: `tensorloop ${kind}`,
    async init() {
      try {
        engine.device = kind === 'cpu' ? Device.cpu : await Device.webgpu();
      } catch (error) {
        return (error as Error).message.split('\n')[0];
      }
      return undefined;
    },
    async trainer(spec: ModelSpec, batch: Batch): Promise<Trainer> {
      const device = engine.device!;
      const model = buildModel(spec, device);
      const optimizer = new SGD(model, { learningRate: LEARNING_RATE });
      const images = tensor(batch.images, { shape: [BATCH, 28, 28, 1], device });
      const labels = tensor(batch.labels, { shape: [BATCH], dtype: 'int32', device });
      return {
        async step() {
          startScope();
          try {
            const [loss, gradients] = valueWithGradient(model, (m) => softmaxCrossEntropy(m.forward(images), labels));
            optimizer.update(model, gradients);
            return await loss.item();
          } finally {
            endScope();
          }
        },
        dispose() {
          model.dispose();
          images.dispose();
          labels.dispose();
        },
      };
    },
  };
  return engine;
}

/** Waits until the device has finished all recorded work (WebGPU), for the profiler. */
export async function synchronize(device: DeviceType): Promise<void> {
  if (device.kind === 'webgpu') await (device as WebGpuDevice).synchronize();
}
