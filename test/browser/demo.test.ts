// The demo page (examples/browser) in headless Chromium: it trains LeNet on MNIST for a few
// dozen steps with the TrainingLoop on WebGPU (Chromium's SwiftShader here; the CPU device
// where the page has no WebGPU), the loss falls, the chart has a point per step and one per
// validation, the test-digit grid is filled, and a digit drawn on the pad with the mouse
// gets class probabilities summing to 1. A screenshot of the trained page goes to
// dist/browser-test/demo.png. A second test checks that the page names its WebGPU adapter.

import { mkdir } from 'node:fs/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-expect-error: a plain .mjs script without type declarations
import { buildDemo, serve } from '../../scripts/demo.mjs';
import { launchChromium } from './chromium.js';

const STEPS = 24;
const BATCH = 16;
const VALIDATION = 32;

interface DemoState {
  status: string;
  device: string;
  webgpu: boolean;
  trainingLosses: number[];
  validationLosses: number[];
  probabilities: number[] | null;
  error: string;
}

const browser = await launchChromium();

if (browser) {
  test('the demo trains LeNet in Chromium: the loss falls, the chart and grid fill, a drawn digit gets probabilities', async () => {
    await buildDemo();
    const server = (await serve()) as { url: string; close: () => Promise<void> };
    const page = await browser.newPage({ viewport: { width: 1040, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${server.url}?epochs=1&batchSize=${BATCH}&trainingSize=${STEPS * BATCH}&validationSize=${VALIDATION}&autostart`);
      await page.waitForFunction(() => ['trained', 'error'].includes((globalThis as unknown as { demo?: DemoState }).demo?.status ?? ''), null, { timeout: 420_000, polling: 250 });
      const state = (await page.evaluate(() => (globalThis as unknown as { demo: DemoState }).demo)) as DemoState;
      assert.is(state.status, 'trained', state.error);
      assert.equal(errors, []);
      if (process.env.TENSORLOOP_REQUIRE_WEBGPU === '1') assert.match(state.device, /^webgpu \(/, 'TENSORLOOP_REQUIRE_WEBGPU=1 but the page trained without WebGPU');
      console.log(`demo trained on ${state.device}: loss ${state.trainingLosses[0]!.toFixed(3)} -> ${state.trainingLosses.at(-1)!.toFixed(3)}`);
      assert.is(state.trainingLosses.length, STEPS);
      assert.ok(state.trainingLosses.at(-1)! < 0.95 * state.trainingLosses[0]!, `loss did not fall: ${state.trainingLosses.join(', ')}`);
      const counts = await page.evaluate(() => [...(globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ getAttribute(n: string): string | null }> } }).document.querySelectorAll('#chart path[data-series]')].map((p) => `${p.getAttribute('data-series')}=${p.getAttribute('data-points')}`));
      assert.equal(counts.sort(), [`trainingAccuracy=${STEPS}`, `trainingLoss=${STEPS}`, 'validationAccuracy=1', 'validationLoss=1']);
      assert.is(await page.locator('#grid .digit').count(), VALIDATION);

      // draw a 7 on the pad with the mouse
      const box = (await page.locator('#pad canvas').boundingBox())!;
      const at = (x: number, y: number): [number, number] => [box.x + x * box.width, box.y + y * box.height];
      await page.mouse.move(...at(0.25, 0.2));
      await page.mouse.down();
      for (const [x, y] of [[0.75, 0.2], [0.62, 0.5], [0.5, 0.85]] as const) await page.mouse.move(...at(x, y), { steps: 8 });
      await page.mouse.up();
      await page.waitForFunction(() => (globalThis as unknown as { demo: DemoState }).demo.probabilities !== null, null, { timeout: 60_000 });
      const probabilities = (await page.evaluate(() => (globalThis as unknown as { demo: DemoState }).demo.probabilities))!;
      assert.is(probabilities.length, 10);
      assert.ok(probabilities.every((p) => p >= 0 && p <= 1), probabilities.join(', '));
      assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4, `probabilities sum to ${probabilities.reduce((a, b) => a + b, 0)}`);
      assert.is(await page.locator('#bars .bar').count(), 10);

      await mkdir('dist/browser-test', { recursive: true });
      await page.screenshot({ path: 'dist/browser-test/demo.png', fullPage: true });
    } finally {
      await page.close();
      await server.close();
    }
  });

  test('the page gets a WebGPU device from navigator.gpu (SwiftShader) and names its adapter', async () => {
    const server = (await serve()) as { url: string; close: () => Promise<void> };
    const page = await browser.newPage();
    try {
      // ready (not started): the page has picked its device and loaded MNIST
      await page.goto(server.url);
      await page.waitForFunction(() => ['ready', 'error'].includes((globalThis as unknown as { demo?: DemoState }).demo?.status ?? ''), null, { timeout: 120_000, polling: 250 });
      const state = (await page.evaluate(() => (globalThis as unknown as { demo: DemoState }).demo)) as DemoState;
      assert.is(state.status, 'ready', state.error);
      if (!state.webgpu && process.env.TENSORLOOP_REQUIRE_WEBGPU !== '1') {
        console.log(`the demo page had no WebGPU in Chromium: ${state.device}`);
        return;
      }
      assert.ok(state.webgpu, `TENSORLOOP_REQUIRE_WEBGPU=1 but the page did not get WebGPU: ${state.device}`);
      assert.match(state.device, /^webgpu \(/);
      assert.match(await page.locator('#device').textContent() ?? '', /adapter: /);
    } finally {
      await page.close();
      await server.close();
    }
  });

  test.after(() => browser.close());
}

test.run();
