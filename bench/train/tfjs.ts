// TensorFlow.js in the training-step bench: the model from tf ops (NHWC and HWIO, the same
// layouts as tensorloop, so the spec's weights load as they are), parameters as
// tf.variables, and the step `tf.train.sgd(η).minimize(loss, true)` with the loss read back.
// tfjs has one active backend per process, so each trainer selects its own (cpu, wasm or
// webgpu) before its round; variables move to it lazily on first use, which the bench's
// untimed step per round absorbs.

import { BATCH, type Batch, CLASSES, type Engine, LEARNING_RATE, type ModelSpec, type Trainer } from './models.js';

import type { Scalar, Tensor as TfTensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';

type Tf = typeof import('@tensorflow/tfjs-core');

export function tfjsEngine(tf: Tf, backend: 'cpu' | 'wasm' | 'webgpu'): Engine {
  return {
    name: `tfjs-${backend}`,
    async init() {
      try {
        if (!(await tf.setBackend(backend))) return `tfjs: the ${backend} backend did not initialize`;
        await tf.ready();
      } catch (error) {
        return (error as Error).message.split('\n')[0];
      }
      return undefined;
    },
    async trainer(spec: ModelSpec, batch: Batch): Promise<Trainer> {
      await tf.setBackend(backend);
      const vars = new Map(spec.parameters.map((p) => [p.name, tf.variable(tf.tensor(p.data, p.shape), true, `${spec.name}/${backend}/${p.name}`)]));
      const images = tf.tensor4d(batch.images, [BATCH, 28, 28, 1]);
      const oneHot = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), CLASSES);
      const optimizer = tf.train.sgd(LEARNING_RATE);
      const predict = (x: TfTensor) => {
        let y = x;
        for (const layer of spec.layers) {
          if (layer.kind === 'conv') {
            y = tf.relu(tf.add(tf.conv2d(y as Tensor4D, vars.get(layer.weight)! as Tensor4D, 1, layer.padding), vars.get(layer.bias)!));
          } else if (layer.kind === 'maxPool') {
            y = tf.maxPool(y as Tensor4D, 2, 2, 'valid');
          } else if (layer.kind === 'flatten') {
            y = tf.reshape(y, [BATCH, -1]);
          } else {
            y = tf.add(tf.matMul(y as Tensor2D, vars.get(layer.weight)! as Tensor2D), vars.get(layer.bias)!);
            if (layer.relu) y = tf.relu(y);
          }
        }
        return y;
      };
      return {
        async activate() {
          await tf.setBackend(backend);
        },
        async step() {
          const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(oneHot, predict(images)) as Scalar, true)!;
          const value = (await loss.data())[0]!;
          loss.dispose();
          return value;
        },
        dispose() {
          for (const v of vars.values()) v.dispose();
          images.dispose();
          oneHot.dispose();
          optimizer.dispose();
        },
      };
    },
  };
}
