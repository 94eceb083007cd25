// The WebGPU kernel suites (test/webgpu/kernels-*.test.ts) run a second time inside headless
// Chromium, so every kernel is also checked against the CPU reference on a second WebGPU
// implementation: Chromium's Dawn and Tint on SwiftShader, besides Node's Dawn on lavapipe.
// The suites are bundled unchanged (test/browser/kernel-page.ts); the page reports each test
// as it ends, and each becomes a test here, named "[Chromium] file: test", so a failure in
// the page fails this run and names the kernel test.
//
// Tests the page does not run would be listed below with the reason, and printed on every run.

import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-expect-error: a plain .mjs script without type declarations
import { serve } from '../../scripts/demo.mjs';
import { launchChromium } from './chromium.js';
import { buildKernelPage, kernelSuites } from './kernel-page.js';
import type { Exclusion, KernelTestEvent } from './page/recording-uvu.js';

const OUT = resolve('dist/browser-test/kernels');
/** The whole page: 55-100 s on the 2-core build machine (load average 4-10); a hang fails after this. */
const BUDGET_SECONDS = 360;

// None today: each entry is {pattern matched against "file: test", why}. (The blocked
// convolutions did not compile on SwiftShader until gemm.ts capped their rows per
// invocation there; see SWIFTSHADER_MAX_ROWS.)
export const NOT_IN_CHROMIUM: Exclusion[] = [];

interface PageState {
  status: 'loading' | 'running' | 'done' | 'no-webgpu';
  adapter: string;
  error: string;
}

const browser = await launchChromium();

if (browser) {
  const events: KernelTestEvent[] = [];
  const errors: string[] = [];
  let running = '(none)';
  const startedAt = Date.now();
  await buildKernelPage(OUT);
  const server = (await serve(OUT)) as { url: string; close: () => Promise<void> };
  const page = await browser.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  await page.exposeFunction('kernelSuiteReport', (event: KernelTestEvent) => {
    events.push(event);
    running = event.kind === 'start' ? `${event.file}: ${event.name}` : '(between tests)';
  });
  let state: PageState;
  let finished: boolean;
  try {
    await page.goto(`${server.url}?exclude=${encodeURIComponent(JSON.stringify(NOT_IN_CHROMIUM))}`);
    // the page defines kernelSuite as its script starts: a page that did not load fails fast
    const started = await page.waitForFunction(() => (globalThis as unknown as { kernelSuite?: PageState }).kernelSuite, null, { timeout: 60_000 }).then(() => true, () => false);
    finished = started && await page
      .waitForFunction(() => ['done', 'no-webgpu'].includes((globalThis as unknown as { kernelSuite?: PageState }).kernelSuite?.status ?? ''), null, { timeout: BUDGET_SECONDS * 1000, polling: 500 })
      .then(() => true, () => false);
    state = (await page.evaluate(() => (globalThis as unknown as { kernelSuite?: PageState }).kernelSuite)) ?? { status: 'loading', adapter: '', error: 'the page never started' };
  } finally {
    await page.close();
    await server.close();
    await browser.close();
  }
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(0);

  if (state.status === 'no-webgpu') {
    if (process.env.TENSORLOOP_REQUIRE_WEBGPU === '1') {
      test('the kernel suites get WebGPU in Chromium', () => assert.unreachable(`TENSORLOOP_REQUIRE_WEBGPU=1 but the page has no WebGPU: ${state.error}`));
    } else {
      console.log(`Kernel suites in Chromium were not run: ${state.error}`);
    }
  } else {
    const ended = events.filter((e) => e.kind === 'end');
    const notRun = events.filter((e) => e.kind === 'not run');
    console.log(`kernel suites in Chromium (${state.adapter}): ${ended.filter((e) => e.ok).length} passed, ${ended.filter((e) => !e.ok).length} failed, ${notRun.length} not run, in ${seconds} s`);
    const slowest = [...ended].sort((a, b) => b.ms! - a.ms!).slice(0, 3);
    console.log(`  slowest: ${slowest.map((e) => `${e.file}: ${e.name} ${(e.ms! / 1000).toFixed(0)} s`).join('; ')}`);
    for (const e of notRun) console.log(`  not run in Chromium: ${e.file}: ${e.name}`);
    for (const e of ended) {
      test(`[Chromium] ${e.file}: ${e.name}`, () => {
        if (!e.ok) assert.unreachable(`in Chromium (${state.adapter}): ${e.error}`);
      });
    }
    test('the kernel suites finish in Chromium, without page errors', () => {
      assert.ok(finished, `the page was still ${state.status} after ${BUDGET_SECONDS} s, in ${running} (page errors: ${errors.join('; ') || 'none'})`);
      assert.equal(errors, [], 'errors thrown in the page');
    });
    test('every kernel suite ran in Chromium, and every exclusion matched a test', () => {
      const ran = new Set(events.map((e) => e.file));
      assert.equal(kernelSuites().filter((file) => !ran.has(file)), [], 'suites with no test reported');
      for (const { pattern } of NOT_IN_CHROMIUM) assert.ok(notRun.some((e) => new RegExp(pattern).test(`${e.file}: ${e.name}`)), `exclusion ${pattern} matched no test`);
    });
  }
}

test.run();
