// A CPU tensor no TypedArray can hold (over 2³² elements) is a TensorLoopError naming the
// op and the shape, thrown before anything is allocated (the engine's RangeError escaped
// before), from the creation functions and from every op whose output can outgrow its inputs.

import { test } from 'uvu';
import { cpu } from '../../src/device/cpu.js';
import { add, broadcastTo, conv2d, gather, matmul, oneHot, pad, where } from '../../src/ops/index.js';
import { arange, full, ones, randn, randu, zeros } from '../../src/tensor.js';
import { assertOpError, input } from './support.js';

const BIG = 100_000; // BIG² = 10¹⁰ elements > 2³²
const tooLarge = (shape: string) => new RegExp(`a tensor of shape \\[${shape}\\] has \\d+ elements`);
const on = { device: cpu };

test('creation functions: zeros, ones, full, randn, randu, arange', () => {
  assertOpError(() => zeros([BIG, BIG], on), 'zeros', cpu, tooLarge(`${BIG},${BIG}`));
  assertOpError(() => ones([BIG, BIG], on), 'ones', cpu, tooLarge(`${BIG},${BIG}`));
  assertOpError(() => full([BIG, BIG], 2, on), 'full', cpu, tooLarge(`${BIG},${BIG}`));
  assertOpError(() => randn([BIG, BIG], on), 'randn', cpu, tooLarge(`${BIG},${BIG}`));
  assertOpError(() => randu([2, BIG, BIG], on), 'randu', cpu, tooLarge(`2,${BIG},${BIG}`));
  assertOpError(() => arange(0, 1e10, 1, on), 'arange', cpu, tooLarge('10000000000'));
});

test('ops whose output outgrows their inputs: broadcasting, matmul, broadcastTo, pad, gather, oneHot, conv2d', () => {
  const column = () => input(zeros([BIG, 1], on));
  const row = () => input(zeros([1, BIG], on));
  assertOpError(() => add(column(), row()), 'add', cpu, tooLarge(`${BIG},${BIG}`));
  assertOpError(() => where(column(), row(), 0), 'where', cpu, tooLarge(`${BIG},${BIG}`));
  assertOpError(() => matmul(column(), row()), 'matmul', cpu, tooLarge(`${BIG},${BIG}`));
  assertOpError(() => broadcastTo(row(), [BIG, BIG]), 'broadcastTo', cpu, tooLarge(`${BIG},${BIG}`));
  assertOpError(() => pad(input(zeros([1, 1], on)), [[BIG, 0], [0, BIG]]), 'pad', cpu, tooLarge(`${BIG + 1},${BIG + 1}`));
  assertOpError(() => gather(row(), input(zeros([BIG], { ...on, dtype: 'int32' }))), 'gather', cpu, tooLarge(`${BIG},${BIG}`));
  assertOpError(() => oneHot(input(zeros([BIG], { ...on, dtype: 'int32' })), BIG), 'oneHot', cpu, tooLarge(`${BIG},${BIG}`));
  const image = () => input(zeros([1, 1000, 1000, 1], on));
  assertOpError(() => conv2d(image(), input(zeros([1, 1, 1, 5000], on))), 'conv2d', cpu, tooLarge('1,1000,1000,5000'));
});

test.run();
