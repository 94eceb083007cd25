// Headless Chromium for the browser suites: the system's browser (Debian's `chromium`, which
// .ci/run installs; CHROMIUM_PATH overrides), driven by playwright-core, which never
// downloads a browser of its own. `--enable-unsafe-webgpu` gives WebGPU on Linux without a
// GPU (SwiftShader); the networking flags stop Chromium's own background connections.
// Without a browser the suites say so in one line; under TENSORLOOP_REQUIRE_WEBGPU=1 (CI)
// a missing browser fails the run.

import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const CHROMIUM_FLAGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox', // CI runs as root, where Chromium's sandbox refuses to start
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let reported = false;

/** A headless Chromium, or null (after saying why, once) when there is none. */
export async function launchChromium(): Promise<Browser | null> {
  const path = process.env.CHROMIUM_PATH ?? CANDIDATES.find((p) => existsSync(p));
  if (!path || !existsSync(path)) {
    const why = `no Chromium found (${process.env.CHROMIUM_PATH ?? CANDIDATES.join(', ')}); install it (apt-get install chromium) or set CHROMIUM_PATH`;
    if (process.env.TENSORLOOP_REQUIRE_WEBGPU === '1') throw new Error(`TENSORLOOP_REQUIRE_WEBGPU=1 but the browser suites cannot run: ${why}`);
    if (!reported) console.log(`Browser suites were not run: ${why}`);
    reported = true;
    return null;
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: path, headless: true, args: CHROMIUM_FLAGS });
}
