// LeNet-5 as in the Swift for TensorFlow MNIST sample (swift-models/Models/ImageClassification/LeNet-5.swift):
// conv 5×5×6 'same' relu → avgpool 2 → conv 5×5×16 relu → avgpool 2 → flatten (400) →
// dense 120 relu → dense 84 relu → dense 10. Input [N, 28, 28, 1], logits [N, 10].

import type { Device } from '../device/device.js';
import { Conv2D } from '../nn/conv.js';
import { Dense } from '../nn/dense.js';
import { Module } from '../nn/module.js';
import { AvgPool2D, Flatten } from '../nn/pooling.js';
import { nextSeed } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../options.js';

export interface LeNetOptions {
  classCount?: number;
  seed?: number;
  device?: Device;
}

export class LeNet extends Module {
  conv1: Conv2D;
  pool1 = new AvgPool2D({ windowSize: 2, strides: 2 });
  conv2: Conv2D;
  pool2 = new AvgPool2D({ windowSize: 2, strides: 2 });
  flatten = new Flatten();
  fc1: Dense;
  fc2: Dense;
  fc3: Dense;

  constructor(options: LeNetOptions = {}) {
    const { classCount = 10, seed = nextSeed(), device } = checkOptions('LeNet', options, ['classCount', 'seed', 'device']);
    super();
    this.conv1 = new Conv2D([5, 5, 1, 6], { padding: 'same', activation: 'relu', seed, device });
    this.conv2 = new Conv2D([5, 5, 6, 16], { activation: 'relu', seed: seed + 1, device });
    this.fc1 = new Dense(400, 120, { activation: 'relu', seed: seed + 2, device });
    this.fc2 = new Dense(120, 84, { activation: 'relu', seed: seed + 3, device });
    this.fc3 = new Dense(84, classCount, { seed: seed + 4, device });
    this.namedModules();
  }

  forward(x: Tensor): Tensor {
    const convolved = this.pool2.forward(this.conv2.forward(this.pool1.forward(this.conv1.forward(x))));
    return this.fc3.forward(this.fc2.forward(this.fc1.forward(this.flatten.forward(convolved))));
  }
}
