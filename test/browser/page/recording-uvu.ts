// `uvu` for the kernel suites inside Chromium (the bundler puts this module in place of
// `uvu` for every file but this one): the same `test`/`suite`, with each handler wrapped
// so that its start, outcome and duration are reported to whoever drives the page (the
// Node test, through `window.kernelSuiteReport`), and uvu's own `exec` to run the queue.

import { type Callback, type Test, exec, suite as uvuSuite } from 'uvu';

export interface KernelTestEvent {
  kind: 'start' | 'end' | 'not run';
  file: string;
  name: string;
  ok?: boolean;
  error?: string;
  ms?: number;
}

type Report = (event: KernelTestEvent) => unknown;

/** Tests not to run on this page: `pattern` is matched against "file: test name". */
export interface Exclusion {
  pattern: string;
  why: string;
}

let currentFile = '';
let exclusions: Exclusion[] = [];
/** Sets the tests the page declines to run (each is reported as 'not run' with its reason). */
export function exclude(list: Exclusion[]): void {
  exclusions = list;
}
/** The suite file being loaded: its tests are reported under this name. */
export function loadingFile(file: string): void {
  currentFile = file;
}

/** Sends one event to the page's driver (if any) and keeps it on the page. */
export function report(event: KernelTestEvent): void {
  const page = globalThis as unknown as { kernelSuiteEvents?: KernelTestEvent[]; kernelSuiteReport?: Report };
  (page.kernelSuiteEvents ??= []).push(event);
  void page.kernelSuiteReport?.(event);
}

/** The handler that reports as it runs, or null (after reporting why) for an excluded test. */
function recorded<T>(file: string, name: string, handler: Callback<T>): Callback<T> | null {
  const excluded = exclusions.find((e) => new RegExp(e.pattern).test(`${file}: ${name}`));
  if (excluded) {
    report({ kind: 'not run', file, name, error: excluded.why });
    return null;
  }
  return async (context) => {
    report({ kind: 'start', file, name });
    const started = performance.now();
    try {
      await handler(context);
      report({ kind: 'end', file, name, ok: true, ms: performance.now() - started });
    } catch (error) {
      const e = error as Error;
      report({ kind: 'end', file, name, ok: false, error: `${e.message ?? e}\n${e.stack ?? ''}`, ms: performance.now() - started });
      throw error;
    }
  };
}

export function suite<T = Record<string, unknown>>(title?: string, state?: T): Test<T> {
  const real = uvuSuite<T>(title, state);
  // the file is the one loading when a test is declared (the default `test` serves them all)
  const declare = (name: string, handler: Callback<T>, as: (name: string, test: Callback<T>) => void): void => {
    const run = recorded(currentFile, name, handler);
    if (run) as(name, run);
  };
  return Object.assign((name: string, handler: Callback<T>) => declare(name, handler, real), real, {
    only: (name: string, handler: Callback<T>) => declare(name, handler, real.only),
  });
}

export const test = suite();
export { exec };
