// The progress line through a real pseudo-terminal (util-linux `script`) of 80 and of 200
// columns: no redraw is ever wider than the terminal (so none wraps into a new row), the
// validation line says so, and a wide terminal shows every field.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const hasScript = spawnSync('script', ['--version']).status === 0;

function runInTerminal(columns: number): string {
  const command = `stty cols ${columns} rows 24; ${process.execPath} --import tsx test/loop/fixtures/progress-run.ts`;
  const result = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' }, timeout: 120_000 });
  assert.is(result.status, 0, result.stderr);
  return result.stdout;
}

for (const columns of [80, 200]) {
  test(`a ${columns}-column terminal: every redraw fits, one row per phase`, () => {
    if (!hasScript) throw new Error('this test needs util-linux `script` (apt-get install bsdutils)');
    const text = runInTerminal(columns);
    const rows = text.split(/\r?\n/).filter((r) => r.trim() !== '');
    assert.equal(rows.map((r) => r.replace(/\r.*\r/s, '\r').split('\r').at(-1)!.split(' ')[0]).slice(0, 3), ['Epoch', '32/32', 'validation']);
    const draws = text.split(/[\r\n]/).map((d) => d.replace(/\x1b\[K/g, '')).filter((d) => d !== '');
    assert.ok(draws.length >= 40, `${draws.length} redraws`);
    for (const draw of draws) assert.ok(draw.length < columns, `${draw.length} ≥ ${columns}: ${draw}`);
    const last = draws.filter((d) => d.startsWith('32/32')).at(-1)!;
    if (columns === 80) {
      assert.match(last, /^32\/32 .*loss: \d\.\d{4}/);
      assert.not.match(last, /samples\/s/, 'the least useful field went first');
    } else {
      assert.match(last, /^32\/32 \[={30}\] - loss: \d\.\d{4} - accuracy: .* - top5Accuracy: .* - perplexity: .* - \d+\.\ds - \d+ samples\/s$/);
    }
  });
}

test.run();
