// Scopes belong to the async context that opened them: while tidyAsync, a startScope …
// endScope pair or the training loop's batch awaits, tensors made by unrelated async code (a
// timer, a request handler, another tidyAsync) are not adopted and not freed under their
// owner; tensors the scope's own code makes after its awaits still are.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SGD, type Tensor, TrainingLoop, endScope, keep, scalar, softmaxCrossEntropy, startScope, tidy, tidyAsync } from '../../src/index.js';
import { scopesFollowAsyncContexts } from '../../src/memory.js';
import { Linear, toyBatches } from '../loop/helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits until `condition` holds (timers ran), however loaded the machine is. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(1);
}

test('this runtime tells async contexts apart (Node: AsyncLocalStorage)', () => {
  assert.ok(scopesFollowAsyncContexts);
});

test('tidyAsync: a timer set up before it keeps the tensors it makes; fn loses those it made after its awaits', async () => {
  const owned: Tensor[] = [];
  const timer = setInterval(() => owned.push(scalar(owned.length)), 1);
  let inside: Tensor | undefined;
  let before: Tensor | undefined;
  const result = await tidyAsync(async () => {
    before = scalar(1);
    await until(() => owned.length >= 2);
    inside = scalar(2);
    const ticks = owned.length;
    await until(() => owned.length >= ticks + 2);
    return scalar(3);
  });
  clearInterval(timer);
  assert.ok(owned.every((t) => !t.isDisposed), 'no tensor of the timer was freed');
  assert.ok(before!.isDisposed && inside!.isDisposed, "fn's own tensors were freed, before and after its awaits");
  assert.not.ok(result.isDisposed, 'the result lives');
  for (const t of [...owned, result]) t.dispose();
});

test('startScope … await … endScope does not adopt what other async code made meanwhile', async () => {
  const other: Tensor[] = [];
  const timer = setTimeout(() => other.push(scalar(7)), 2);
  startScope();
  const mine = scalar(1);
  await until(() => other.length === 1);
  const mineLater = scalar(2);
  endScope();
  clearTimeout(timer);
  assert.is(other.length, 1);
  assert.not.ok(other[0]!.isDisposed);
  assert.ok(mine.isDisposed && mineLater.isDisposed);
  // and the caller is out of the scope: a tensor made now is nobody's
  const after = scalar(3);
  tidy(() => scalar(4));
  assert.not.ok(after.isDisposed);
  other[0]!.dispose();
  after.dispose();
});

test('two interleaved tidyAsync calls each free their own tensors, and only those', async () => {
  const made: Tensor[] = [];
  let stillAlive = false;
  const short = tidyAsync(async () => {
    made.push(scalar(1));
    await sleep(5);
    made.push(scalar(2));
    return keep(scalar(0));
  });
  const long = tidyAsync(async () => {
    const x = scalar(3);
    made.push(x);
    await sleep(25); // the short one ends meanwhile
    stillAlive = !x.isDisposed;
    return keep(scalar(0));
  });
  const [a, b] = await Promise.all([short, long]);
  assert.ok(stillAlive, 'the short scope did not free the long one\'s tensor');
  assert.ok(made.every((t) => t.isDisposed), 'each freed its own');
  a.dispose();
  b.dispose();
});

test('TrainingLoop.fit: tensors a timer makes while fit awaits a callback are not freed by the batch scope', async () => {
  const model = new Linear(4, 3);
  const owned: Tensor[] = [];
  const timer = setInterval(() => owned.push(scalar(owned.length)), 1);
  const madeByCallback: Tensor[] = [];
  const loop = new TrainingLoop({
    training: [toyBatches(24, 8)],
    validation: [],
    optimizer: new SGD(model, { learningRate: 0.1 }),
    lossFunction: softmaxCrossEntropy,
    progress: false,
    callbacks: [
      async (_loop, event) => {
        if (event !== 'batchEnd') return;
        const ticks = owned.length;
        await until(() => owned.length > ticks); // the timer runs here
        madeByCallback.push(scalar(1)); // the callback's own: the batch's, freed with it
      },
    ],
  });
  await loop.fit(model, { epochs: 1 });
  clearInterval(timer);
  assert.equal(owned.filter((t) => t.isDisposed).length, 0, 'none of the timer tensors was freed');
  assert.ok(madeByCallback.length === 3 && madeByCallback.every((t) => t.isDisposed), "the callback's tensors were freed with their batch");
  for (const t of owned) t.dispose();
  model.dispose();
});

test.run();
