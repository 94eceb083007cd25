import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor } from '../../src/tensor.js';
import { add } from '../../src/ops/index.js';
test('add broadcasts a row over a matrix', async () => {
  assert.equal(await add(tensor([[1, 2], [3, 4]]), tensor([10, 20])).array(), [[11, 22], [13, 24]]);
});
test.run();
