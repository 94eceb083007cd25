// Runs every uvu suite under test/ (TypeScript through tsx) and ends with one line
// `N passed, N failed` so the count is visible at a glance (and to CI).
// Usage: node scripts/test.mjs [dir-or-pattern]   e.g. `node scripts/test.mjs test/ops`
import { spawn } from 'node:child_process';

const dir = process.argv[2] ?? 'test';
const pattern = process.argv[3] ?? '\\.test\\.ts$';
const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', dir, pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { XDG_RUNTIME_DIR: '/tmp', ...process.env },
});
let output = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  output += chunk.toString();
});
child.on('close', (code) => {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const failed = code === 0 ? total - passed : Math.max(total - passed, 1);
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(code === 0 && total > 0 && failed === 0 ? 0 : 1);
});
