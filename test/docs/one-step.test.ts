// docs/one-step.md, the guided tour of one training step, names a file and a symbol at every
// hop (`path` · `Symbol` or `Class.member`). Each must exist: the file, the symbol declared in
// it (a function, class, const or type; for `Class.member`, the class and a method or
// property of that name), and every other `src/…` path the tour mentions.

import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const tour = readFileSync('docs/one-step.md', 'utf8');
const HOP = /^\d+\. `([^`]+)` · `([^`]+)` — \S/gm;
const hops = [...tour.matchAll(HOP)].map((m) => ({ file: m[1]!, symbol: m[2]! }));

function declares(source: string, name: string): boolean {
  return new RegExp(`\\b(function\\*?|class|const|let|interface|type|enum)\\s+${name}\\b`).test(source);
}

function hasMember(source: string, member: string): boolean {
  // a method or property at the start of a line: `  async fit(`, `  private batch(`, `  webgpu(x) {`, `  cpu: …`
  return new RegExp(`^\\s+(?:(?:public|private|protected|static|async|override|readonly|get)\\s+)*\\*?${member}\\s*[(<:=]`, 'm').test(source);
}

test('the tour has hops from the loop down to WGSL and back', () => {
  assert.ok(hops.length >= 25, `found ${hops.length} hops`);
  const files = hops.map((h) => h.file);
  for (const needed of ['src/loop/training-loop.ts', 'src/ops/conv.ts', 'src/kernels/gemm.ts', 'src/device/webgpu.ts', 'src/optim/optimizer.ts', 'src/tensor.ts']) {
    assert.ok(files.includes(needed), `no hop in ${needed}`);
  }
});

test('every hop names a file that exists and a symbol declared in it', () => {
  const wrong: string[] = [];
  for (const { file, symbol } of hops) {
    if (!existsSync(file)) {
      wrong.push(`${file}: no such file`);
      continue;
    }
    const source = readFileSync(file, 'utf8');
    const [owner, member] = symbol.split('.');
    if (!declares(source, owner!)) wrong.push(`${file}: no declaration of ${owner}`);
    else if (member && !hasMember(source, member)) wrong.push(`${file}: ${owner} has no member ${member}`);
  }
  assert.equal(wrong, []);
});

test('every other path the tour mentions exists', () => {
  const paths = [...tour.matchAll(/`((?:src|docs|examples|test)\/[^`\s]+)`/g)].map((m) => m[1]!);
  assert.ok(paths.length > hops.length);
  assert.equal(paths.filter((p) => !existsSync(p)), []);
});

test('the checker rejects a made-up hop', () => {
  const source = readFileSync('src/optim/optimizer.ts', 'utf8');
  assert.ok(declares(source, 'Optimizer') && hasMember(source, 'update'));
  assert.not.ok(hasMember(source, 'teleport'));
  assert.not.ok(declares(source, 'NoSuchThing'));
});

test.run();
