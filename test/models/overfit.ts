// Test helper: the classic smoke test of a model, Adam on one fixed batch, each step in
// its own memory scope as the training loop runs it.
import { valueWithGradient } from '../../src/autodiff/gradients.js';
import { cpu } from '../../src/device/cpu.js';
import { endScope, startScope } from '../../src/memory.js';
import type { Module } from '../../src/nn/module.js';
import { Adam } from '../../src/optim/adam.js';
import { type Tensor, liveTensorCount } from '../../src/tensor.js';

export interface OverfitResult {
  losses: number[];
  /** Live CPU tensors after each step: flat when nothing leaks. */
  live: number[];
  /** last loss / first loss */
  ratio: number;
}

export async function overfit<M extends Module>(model: M, loss: (m: M) => Tensor, steps: number, learningRate = 1e-2): Promise<OverfitResult> {
  const optimizer = new Adam(model, { learningRate });
  const losses: number[] = [];
  const live: number[] = [];
  for (let i = 0; i < steps; i++) {
    startScope();
    const [value, grads] = valueWithGradient(model, loss);
    losses.push(await value.item());
    optimizer.update(model, grads);
    endScope();
    live.push(liveTensorCount(cpu));
  }
  return { losses, live, ratio: losses[steps - 1]! / losses[0]! };
}
