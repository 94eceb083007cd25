// The main entry bundles for a browser: esbuild (platform 'browser') from src/index.ts must
// meet no Node built-in module, static or dynamic import alike, and must leave Dawn's
// `webgpu` package out (package.json's `browser` field); the bundle then has no trace of
// either. Node-only code asks for its modules at run time through src/platform.ts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-expect-error: a plain .mjs script without type declarations
import { bundleForBrowser, describeNodeImports, nodeImports } from '../../scripts/browser-bundle.mjs';
import * as esbuild from 'esbuild';

type Found = { module: string; importer: string; kind: string }[];

test('src/index.ts bundles for the browser without any Node module or the webgpu package', async () => {
  const { result, nodeImports: found } = (await bundleForBrowser({ write: false })) as { result: esbuild.BuildResult & { metafile: esbuild.Metafile }; nodeImports: Found };
  assert.equal(result.errors, []);
  assert.is(found.length, 0, `Node modules reached from src/index.ts (use nodeModule() from src/platform.ts):\n${describeNodeImports(found)}`);
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.includes('src/index.ts'));
  const dawn = inputs.filter((path) => path.includes('node_modules/webgpu/') && !path.startsWith('(disabled):'));
  assert.equal(dawn, [], 'the webgpu package (Dawn for Node) was bundled');
  const code = result.outputFiles!.find((f) => f.path.endsWith('.js'))!.text;
  // esbuild's __require shim would mean a CommonJS require() of something left external
  assert.not.match(code, /from\s*["']node:|import\(\s*["']node:|__require\b/, 'the bundle imports a Node module');
});

test('the check itself catches a static and a dynamic node: import', async () => {
  const found: Found = [];
  await esbuild.build({
    stdin: { contents: "import { readFileSync } from 'node:fs'; export const f = () => import('path').then(() => readFileSync);", resolveDir: '.', loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    plugins: [nodeImports(found)],
  });
  assert.equal(found.map((f) => `${f.module} ${f.kind}`).sort(), ['node:fs import-statement', 'path dynamic-import']);
});

test.run();
