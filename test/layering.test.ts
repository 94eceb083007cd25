// One door to kernels: only the op layer (src/ops) picks a kernel. This reads the imports of
// every file under src/ (static `import … from`, `export … from` and dynamic `import()`)
// and fails when a file outside src/ops, src/kernels and src/device imports from src/kernels.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const SRC = resolve('src');
const ALLOWED = ['ops', 'kernels', 'device'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : /\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** The relative module specifiers a TypeScript file imports or re-exports. */
export function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:\bimport|\bexport)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;
  for (const match of source.matchAll(pattern)) specifiers.push((match[1] ?? match[2] ?? match[3])!);
  return specifiers;
}

test('importsOf finds static, type-only, re-export and dynamic imports', () => {
  const source = `import { a } from './a.js';\nimport type { B } from '../kernels/b.js';\nexport * from "./c.js";\nexport { d } from './d.js';\nconst e = await import('./e.js');\nimport './f.js';`;
  assert.equal(importsOf(source), ['./a.js', '../kernels/b.js', './c.js', './d.js', './e.js', './f.js']);
});

test('no file outside src/ops, src/kernels and src/device imports from src/kernels', () => {
  const files = filesUnder(SRC);
  assert.ok(files.length > 50, `found only ${files.length} files under src/`);
  const offenders: string[] = [];
  for (const file of files) {
    const layer = relative(SRC, file).split('/')[0]!;
    if (ALLOWED.includes(layer)) continue;
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(SRC, resolve(dirname(file), specifier));
      if (target.split('/')[0] === 'kernels') offenders.push(`${relative('.', file)} imports ${specifier}`);
    }
  }
  assert.equal(offenders, [], `only src/ops may reach the kernels:\n${offenders.join('\n')}`);
});

test.run();
