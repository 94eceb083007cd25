// saveCheckpoint replaces a file atomically: two saves to one path at the same moment both
// land (each under its own temporary name), and the temporary files of a save that was
// killed are removed by the next save to that path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Module } from '../../src/nn/module.js';
import { keep } from '../../src/memory.js';
import { type Tensor, full } from '../../src/tensor.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.js';

class Filled extends Module {
  weight: Tensor;
  constructor(value: number, size = 4) {
    super();
    this.weight = keep(full([size], value));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

const dir = await mkdtemp(join(tmpdir(), 'tensorloop-save-'));
const temporaries = async (folder: string): Promise<string[]> => (await readdir(folder)).filter((f) => f.includes('.tmp-'));

test('two saves to one path in the same millisecond both complete; the file is one of them, whole', async () => {
  const path = join(dir, 'same.safetensors');
  const realNow = Date.now;
  Date.now = () => 1_700_000_000_000; // the clock the temporary names used to rely on
  try {
    await Promise.all([saveCheckpoint(path, { model: new Filled(1) }), saveCheckpoint(path, { model: new Filled(2) }), saveCheckpoint(path, { model: new Filled(3) })]);
  } finally {
    Date.now = realNow;
  }
  const back = new Filled(0);
  await loadCheckpoint(path, { model: back });
  const value = (await back.weight.data())[0]!;
  assert.ok([1, 2, 3].includes(value), `loaded ${value}`);
  assert.equal(await temporaries(dir), []);
});

test('temporary files of dead saves are removed by the next save to that path, others kept', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'tensorloop-stale-'));
  const name = 'model.safetensors';
  const deadPid = 2 ** 30; // above any Linux pid_max: no such process
  const leftovers = [`${name}.tmp-${deadPid}-1-abc`, `${name}.tmp-${deadPid}-1700000000000`, `${name}.tmp-${process.pid}-0-old`];
  const kept = [`${name}.tmp-${process.ppid}-1-live`, `other.safetensors.tmp-${deadPid}-1-abc`, `${name}.backup`];
  for (const f of [...leftovers, ...kept]) await writeFile(join(folder, f), 'partial');
  await saveCheckpoint(join(folder, name), { model: new Filled(5) });
  assert.equal((await readdir(folder)).sort(), [name, ...kept].sort());
});

// A child process saves a 16 MB checkpoint over and over; it is killed (SIGKILL) while a
// temporary file exists, so that file stays behind; the next save removes it, and the
// path still holds the last checkpoint that finished, whole.
const CHILD = `
import { Module } from ${JSON.stringify(resolve('src/nn/module.ts'))};
import { keep } from ${JSON.stringify(resolve('src/memory.ts'))};
import { full } from ${JSON.stringify(resolve('src/tensor.ts'))};
import { saveCheckpoint } from ${JSON.stringify(resolve('src/io/checkpoint.ts'))};
class Big extends Module {
  weight = keep(full([4 * 1024 * 1024], 7));
  forward(x) { return x; }
}
const model = new Big();
process.stdout.write('ready\\n');
for (;;) await saveCheckpoint(process.argv[2], { model });
`;

test('a save killed mid-write leaves the old file whole, and the next save removes its temporary file', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'tensorloop-killed-'));
  const path = join(folder, 'big.safetensors');
  const script = join(folder, 'child.mts');
  await writeFile(script, CHILD);
  let leftBehind: string[] = [];
  for (let attempt = 0; attempt < 5 && leftBehind.length === 0; attempt++) {
    const child = spawn(process.execPath, ['--import', 'tsx', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((done) => child.on('exit', done));
    await new Promise<void>((ready) => child.stdout.once('data', () => ready()));
    // kill it while a save is under way (a temporary file exists), once one save has finished
    const underWay = async (): Promise<boolean> => {
      const files = await readdir(folder);
      return files.includes('big.safetensors') && files.some((f) => f.includes('.tmp-'));
    };
    for (const start = Date.now(); Date.now() - start < 30_000 && !(await underWay()); ) await new Promise((r) => setTimeout(r, 1));
    child.kill('SIGKILL');
    await exited; // reaped, so its pid no longer runs
    leftBehind = await temporaries(folder);
  }
  assert.ok(leftBehind.length > 0, 'a kill left a temporary file behind');
  {
    const check = new (class extends Module {
      weight = keep(full([4 * 1024 * 1024], 0));
      forward(x: Tensor): Tensor {
        return x;
      }
    })();
    await loadCheckpoint(path, { model: check });
    assert.is((await check.weight.data())[0], 7, 'the previous checkpoint is whole');
  }
  await saveCheckpoint(path, { model: new Filled(1, 8) });
  assert.equal(await temporaries(folder), [], `removed ${leftBehind.join(', ')}`);
});

test.run();
