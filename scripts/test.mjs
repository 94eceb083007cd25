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
child.on('close', (code, signal) => {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const totals = /Total:\s+(\d+)[\s\S]*?Passed:\s+(\d+)/.exec(plain);
  let passed;
  let failed;
  if (totals) {
    passed = Number(totals[2]);
    failed = Number(totals[1]) - passed;
  } else {
    // the runner died before its summary (a crash in native code, a kill): count the
    // files that finished, from uvu's per-file "(passed / total)" lines, and fail
    const files = [...plain.matchAll(/\((\d+) \/ (\d+)\)/g)];
    passed = files.reduce((n, m) => n + Number(m[1]), 0);
    failed = files.reduce((n, m) => n + Number(m[2]) - Number(m[1]), 0) + 1;
    console.log(`\nThe test process ended before uvu's summary (exit code ${code}, signal ${signal ?? 'none'}): counting the finished files and one failure for the file that was running.`);
  }
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(code === 0 && passed > 0 && failed === 0 ? 0 : 1);
});
