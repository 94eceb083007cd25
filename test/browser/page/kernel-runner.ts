// The page that runs the WebGPU kernel suites (test/webgpu/kernels-*.test.ts) inside
// Chromium, as uvu's CLI runs them in Node: each suite file is loaded in turn (its tests
// queue up), then uvu runs the queue. test/browser/kernels.test.ts builds this page, with
// the list of suites, and reads every test's outcome from `kernelSuiteReport` /
// `window.kernelSuite`.

import { type Exclusion, exclude, exec, loadingFile, report } from './recording-uvu.js';

export type SuiteLoader = [file: string, load: () => Promise<unknown>];

interface KernelSuiteState {
  status: 'loading' | 'running' | 'done' | 'no-webgpu';
  adapter: string;
  error: string;
}

export async function runKernelSuites(suites: SuiteLoader[]): Promise<void> {
  const state: KernelSuiteState = { status: 'loading', adapter: '', error: '' };
  (globalThis as unknown as { kernelSuite: KernelSuiteState }).kernelSuite = state;
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) {
    state.error = gpu ? 'navigator.gpu.requestAdapter() gave no adapter' : 'navigator.gpu is missing';
    state.status = 'no-webgpu';
    return;
  }
  state.adapter = [adapter.info.vendor, adapter.info.architecture, adapter.info.device, adapter.info.description].filter(Boolean).join(' / ');
  // the driver names the tests this page must not run, and why, in ?exclude=[{pattern, why}]
  // (and may name the suites to run, as a pattern: ?only=conv)
  const params = new URLSearchParams((globalThis as unknown as { location: { search: string } }).location.search);
  exclude(JSON.parse(params.get('exclude') ?? '[]') as Exclusion[]);
  const only = new RegExp(params.get('only') ?? '');
  const queue = globalThis as unknown as { UVU_QUEUE: unknown[][]; UVU_INDEX: number };
  for (const [index, [file, load]] of suites.filter(([file]) => only.test(file)).entries()) {
    queue.UVU_INDEX = index;
    queue.UVU_QUEUE.push([file]);
    loadingFile(file);
    try {
      await load();
    } catch (error) {
      // a suite whose top level throws declares nothing: report the file itself
      report({ kind: 'end', file, name: '(loading the suite)', ok: false, error: String((error as Error).stack ?? error), ms: 0 });
    }
  }
  state.status = 'running';
  await exec();
  state.status = 'done';
}
