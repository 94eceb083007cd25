// The README's Layout section matches the tree: every file and folder directly under src/,
// and every top-level folder of the repository, is named there, and every name it lists
// exists. (The name column is the first 26 characters of each line of its code block.)

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const NAME_COLUMN = 26;
const NOT_SOURCE = new Set(['node_modules', 'dist', 'run']);

function layoutNames(): { src: string[]; top: string[] } {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Layout'));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const src: string[] = [];
  const top: string[] = [];
  for (const line of block.split('\n')) {
    const names = line.slice(0, NAME_COLUMN).trim().split(/\s+/).filter(Boolean);
    (line.startsWith('  ') ? src : top).push(...names);
  }
  return { src, top };
}

test("the README's Layout names every entry of src/ and every top-level folder", () => {
  const { src, top } = layoutNames();
  assert.ok(src.length > 10, 'found the Layout code block');
  const srcEntries = readdirSync('src', { withFileTypes: true }).map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
  assert.equal(srcEntries.filter((name) => !src.includes(name)), [], 'entries of src/ missing from the Layout');
  const folders = readdirSync('.', { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !NOT_SOURCE.has(e.name))
    .map((e) => `${e.name}/`);
  assert.equal(folders.filter((name) => !top.includes(name)), [], 'top-level folders missing from the Layout');
});

test("every name in the README's Layout exists", () => {
  const { src, top } = layoutNames();
  const missing = [...src.filter((name) => !existsSync(`src/${name}`)), ...top.filter((name) => name !== 'src/' && !existsSync(name))];
  assert.equal(missing, []);
});

test.run();
