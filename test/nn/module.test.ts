// Module: parameters through fields (nested modules, arrays of modules and tensors),
// state vs parameters, train/eval, parameter count, paths in errors, dispose.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Tensor, tensor } from '../../src/tensor.js';
import { keep } from '../../src/memory.js';
import { BatchNorm, Dense, Dropout, Module } from '../../src/nn/index.js';

class Block extends Module {
  attn = new Dense(2, 2, { seed: 1 });
  norm = new BatchNorm(2);
  drop = new Dropout(0.5);
  forward(x: Tensor): Tensor {
    return this.drop.forward(this.norm.forward(this.attn.forward(x)));
  }
}

class Net extends Module {
  blocks = [new Block(), new Block()];
  scales = [keep(tensor([1])), keep(tensor([2]))];
  steps = keep(tensor([0], { dtype: 'int32' })); // int32: never a parameter
  forward(x: Tensor): Tensor {
    return this.blocks.reduce((y, b) => b.forward(y), x);
  }
}

test('dotted paths through nested modules and arrays; state apart from parameters', () => {
  const net = new Net();
  assert.equal(net.namedParameters().map(([p]) => p), [
    'blocks.0.attn.weight', 'blocks.0.attn.bias', 'blocks.0.norm.scale', 'blocks.0.norm.offset',
    'blocks.1.attn.weight', 'blocks.1.attn.bias', 'blocks.1.norm.scale', 'blocks.1.norm.offset',
    'scales.0', 'scales.1',
  ]);
  assert.equal(net.namedState().map(([p]) => p), ['blocks.0.norm.runningMean', 'blocks.0.norm.runningVariance', 'blocks.1.norm.runningMean', 'blocks.1.norm.runningVariance']);
  assert.is(net.parameterCount(), 2 * (4 + 2 + 2 + 2) + 2);
  assert.equal(net.namedModules().map(([p]) => p), ['blocks.0', 'blocks.0.attn', 'blocks.0.norm', 'blocks.0.drop', 'blocks.1', 'blocks.1.attn', 'blocks.1.norm', 'blocks.1.drop']);
  assert.is(net.blocks[1]!.norm.describe(), 'blocks.1.norm (BatchNorm)');
});

test('train() and eval() reach every descendant', () => {
  const net = new Net().eval();
  assert.ok(net.namedModules().every(([, m]) => !m.training));
  net.train();
  assert.ok(net.namedModules().every(([, m]) => m.training));
});

test('dispose frees parameters and state', () => {
  const net = new Net();
  net.dispose();
  assert.ok([...net.namedParameters(), ...net.namedState()].every(([, t]) => t.isDisposed));
});

test.run();
