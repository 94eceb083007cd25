// Runs every uvu suite under test/ (TypeScript through tsx) and ends with one line
// `N passed, N failed` so the count is visible at a glance (and to CI).
// Usage: node scripts/test.mjs [dir-or-pattern]   e.g. `node scripts/test.mjs test/ops`
//
// Each folder of test/ (and the test files at its top) runs in a process of its own, one
// after the other. A WebGPU process on Mesa's lavapipe keeps one memory mapping per
// descriptor set Dawn ever held at once for each pipeline layout, and Linux caps a process
// at 65,530 mappings (vm.max_map_count): the whole suite in one process came within a few
// hundred of that cap and then crashed inside the driver. One process per folder also
// keeps a native crash from hiding the results of every later folder.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test';
const pattern = process.argv[3] ?? '\\.test\\.ts$';

/** [folder, pattern] pairs, one test process each. */
function groups() {
  if (!statSync(dir).isDirectory()) return [[dir, pattern]];
  const entries = readdirSync(dir).sort();
  const folders = entries.filter((name) => name !== 'helpers' && statSync(join(dir, name)).isDirectory());
  const topFiles = entries.filter((name) => !folders.includes(name) && new RegExp(pattern).test(name));
  if (folders.length === 0) return [[dir, pattern]];
  const runs = folders.map((name) => [join(dir, name), pattern]);
  // the files at the top of `dir` in one process of their own, uvu matching only them
  if (topFiles.length > 0) runs.unshift([dir, `^(${topFiles.map((f) => f.replace(/\./g, '\\.')).join('|')})$`]);
  return runs;
}

/** Runs one uvu process; resolves to {passed, failed}. */
function run([folder, filePattern]) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', folder, filePattern], {
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
        console.log(`\nThe test process for ${folder} ended before uvu's summary (exit code ${code}, signal ${signal ?? 'none'}): counting the finished files and one failure for the file that was running.`);
      }
      if (code !== 0 && failed === 0) failed = 1;
      resolve({ passed, failed });
    });
  });
}

let passed = 0;
let failed = 0;
for (const group of groups()) {
  console.log(`\n# ${group[0]}${group[1] === pattern ? '' : ` (${group[1]})`}`);
  const result = await run(group);
  passed += result.passed;
  failed += result.failed;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(passed > 0 && failed === 0 ? 0 : 1);
