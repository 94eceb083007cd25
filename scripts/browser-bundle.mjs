// The browser bundle of tensorloop, made with esbuild (already in the tree through tsx):
// src/index.ts → dist/tensorloop.browser.js, one ES module with its source map, minified
// with names kept (optimizer checkpoints record their class name). Node's built-in modules
// must not be reachable from src/index.ts (see src/platform.ts); the `nodeImports` plugin
// records any that are, so the build fails naming the file that imports it, and Dawn's
// `webgpu` package is left out through package.json's `browser` field.
//   node scripts/browser-bundle.mjs          build and print the size
import { builtinModules } from 'node:module';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** An esbuild plugin that lets Node builtins through as external imports and lists them. */
export function nodeImports(found) {
  return {
    name: 'node-imports',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.startsWith('node:') ? args.path : args.path.split('/')[0];
        if (!BUILTINS.has(args.path) && !BUILTINS.has(bare)) return undefined;
        found.push({ module: args.path, importer: args.importer, kind: args.kind });
        return { path: args.path, external: true };
      });
    },
  };
}

/** The esbuild options every browser build of this repository shares (the library bundle,
 * the demo page, the kernel-suite page): one ES2022 module graph with source maps, for
 * browsers, recording into `found` each Node builtin it reaches. */
export function browserBuildOptions(found) {
  return {
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'silent',
    plugins: [nodeImports(found)],
  };
}

/** Bundles `entry` for browsers; returns the esbuild result and the Node imports it met. */
export async function bundleForBrowser({ entry = 'src/index.ts', outfile = 'dist/tensorloop.browser.js', write = true, minify = true } = {}) {
  const found = [];
  const result = await esbuild.build({
    ...browserBuildOptions(found),
    entryPoints: [entry],
    outfile,
    minify,
    keepNames: true,
    metafile: true,
    write,
  });
  return { result, nodeImports: found };
}

/** What `nodeImports` found, as lines for an error message. */
export function describeNodeImports(found) {
  return found.map(({ module, importer, kind }) => `  ${importer} → ${module} (${kind})`).join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outfile = 'dist/tensorloop.browser.js';
  const { nodeImports: found } = await bundleForBrowser({ outfile });
  if (found.length > 0) {
    console.error(`the browser bundle reaches Node modules (use nodeModule() from src/platform.ts):\n${describeNodeImports(found)}`);
    process.exit(1);
  }
  const bytes = readFileSync(outfile);
  console.log(`${outfile}: ${(bytes.length / 1024).toFixed(0)} KiB minified, ${(gzipSync(bytes).length / 1024).toFixed(0)} KiB gzipped (source map: ${outfile}.map)`);
}
