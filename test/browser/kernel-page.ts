// Builds the page that runs the WebGPU kernel suites inside Chromium: the suite files
// test/webgpu/kernels-*.test.ts, unchanged, bundled with esbuild for the browser, with
// test/helpers/devices.ts replaced by page/devices.ts (WebGPU from navigator.gpu) and
// `uvu` by page/recording-uvu.ts (reports each test to the driver). Every suite is its
// own chunk, loaded in turn by page/kernel-runner.ts.

import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
// @ts-expect-error: a plain .mjs script without type declarations
import { browserBuildOptions, describeNodeImports } from '../../scripts/browser-bundle.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PAGE = join(ROOT, 'test', 'browser', 'page');
const SUITES = join(ROOT, 'test', 'webgpu');

/** The kernel suites, by file name. */
export const kernelSuites = (): string[] => readdirSync(SUITES).filter((name) => /^kernels-.*\.test\.ts$/.test(name)).sort();

const substitutes: esbuild.Plugin = {
  name: 'kernel-page-substitutes',
  setup(build) {
    build.onResolve({ filter: /^uvu$/ }, (args) => (args.importer === join(PAGE, 'recording-uvu.ts') ? undefined : { path: join(PAGE, 'recording-uvu.ts') }));
    build.onResolve({ filter: /\/helpers\/devices\.js$/ }, () => ({ path: join(PAGE, 'devices.ts') }));
  },
};

// UVU_DEFER before any module: uvu then queues each suite's `test.run()` instead of running
// the queue on a timer (as under its CLI), and page/kernel-runner.ts runs it when all loaded.
const HTML = '<!doctype html>\n<meta charset="utf-8">\n<title>tensorloop: WebGPU kernel suites</title>\n<script>globalThis.UVU_DEFER = 1;</script>\n<script type="module" src="suites.js"></script>\n';

/** Builds the page into `outdir` (index.html, suites.js and a chunk per suite). */
export async function buildKernelPage(outdir: string, suites = kernelSuites()): Promise<void> {
  await mkdir(outdir, { recursive: true });
  const entry = [
    `import { runKernelSuites } from ${JSON.stringify(join(PAGE, 'kernel-runner.ts'))};`,
    'await runKernelSuites([',
    ...suites.map((file) => `  [${JSON.stringify(file)}, () => import(${JSON.stringify(join(SUITES, file))})],`),
    ']);',
  ].join('\n');
  const found: unknown[] = [];
  const options = browserBuildOptions(found);
  await esbuild.build({
    ...options,
    stdin: { contents: entry, resolveDir: PAGE, sourcefile: 'suites.ts', loader: 'ts' },
    entryNames: 'suites',
    outdir,
    splitting: true,
    plugins: [substitutes, ...options.plugins],
  });
  if (found.length > 0) throw new Error(`the kernel suites reach Node modules:\n${describeNodeImports(found)}`);
  await writeFile(join(outdir, 'index.html'), HTML);
}
