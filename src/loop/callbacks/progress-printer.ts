// The console display (S4TF's `ProgressPrinter`), plus what the original lacks: elapsed
// time, ETA and samples per second. On a terminal:
//   Epoch 1/10
//   468/468 [==============================] - loss: 0.1234 - accuracy: 0.9612 - 12.3s - 4871 samples/s
//   58/79 [======================>.......] - loss: 0.1520 - accuracy: 0.9521 - 0.4s - ETA 0.2s - 9876 samples/s
//   validation 58/79 [======================>.......] - loss: 0.1520 - accuracy: 0.9521 - 0.4s - ETA 0.2s - 9876 samples/s
// each phase's line rewritten in place with a carriage return (and cleared to its end),
// at most `refreshSeconds` apart, and never wider than the terminal (`output.columns`):
// the least useful fields go first (samples/s, elapsed time, a shorter bar, the ETA, the
// bar, the metrics after the loss), so a redraw never wraps into a new row. When the
// output is not a terminal (a log file, CI): one finished line per phase, as Keras'
// verbose=2, plus a line every `logSeconds` during a long phase, so a log shows progress.
// It only formats `loop.lastStatsLog`: it never reads the device itself.

import { asFunction } from '../callback.js';
import type { TrainingLoopState } from '../state.js';
import { checkOptions } from '../../options.js';

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  /** The terminal's width (Node's process.stdout.columns). */
  columns?: number;
}

export interface ProgressPrinterOptions {
  /** Characters inside the brackets (default 30, as S4TF). */
  barLength?: number;
  /** Where to print (default process.stdout in Node, the console in a browser). */
  output?: ProgressOutput;
  /** Rewrite lines in place; default: whether the output is a terminal. */
  interactive?: boolean;
  /** Minimum seconds between two redraws of a line (default 0.1); the last batch always draws. */
  refreshSeconds?: number;
  /** Not a terminal: seconds between two progress lines within a phase (default 10). */
  logSeconds?: number;
  /** The clock, in seconds (for tests). */
  now?: () => number;
}

/** S4TF's bar: steps = round(L · done/total); `=`×steps, then `>` and dots unless full. */
export function progressBar(done: number, total: number, length = 30): string {
  const steps = total > 0 ? Math.round((length * done) / total) : length;
  if (steps >= length) return `[${'='.repeat(length)}]`;
  return `[${'='.repeat(steps)}>${'.'.repeat(length - steps - 1)}]`;
}

/** 0.4s, 12.3s, 2m05s, 1h02m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Node's stdout; elsewhere (a browser) the console, one `console.log` per finished line. */
function defaultOutput(): ProgressOutput {
  const stdout = (globalThis as { process?: { stdout?: ProgressOutput } }).process?.stdout;
  if (stdout) return stdout;
  let pending = '';
  return {
    write(text: string): void {
      const lines = (pending + text).split('\n');
      pending = lines.pop()!;
      for (const line of lines) console.log(line);
    },
  };
}

export class ProgressPrinter {
  readonly name = 'ProgressPrinter';
  readonly barLength: number;
  private readonly output: ProgressOutput;
  private readonly interactive: boolean;
  private readonly refreshSeconds: number;
  private readonly logSeconds: number;
  private phase = '';
  private readonly now: () => number;
  private phaseStart = 0;
  private samples = 0;
  private lastDraw = -Infinity;
  private line = '';

  constructor(options: ProgressPrinterOptions = {}) {
    checkOptions('ProgressPrinter', options, ['barLength', 'output', 'interactive', 'refreshSeconds', 'logSeconds', 'now']);
    const { barLength = 30, output = defaultOutput(), interactive, refreshSeconds = 0.1, logSeconds = 10, now = () => performance.now() / 1000 } = options;
    this.logSeconds = logSeconds;
    this.barLength = barLength;
    this.output = output;
    this.interactive = interactive ?? output.isTTY === true;
    this.refreshSeconds = refreshSeconds;
    this.now = now;
  }

  onEpochStart(loop: TrainingLoopState): void {
    this.output.write(`Epoch ${(loop.epochIndex ?? 0) + 1}/${loop.epochCount ?? '?'}\n`);
  }

  onTrainingStart(loop?: TrainingLoopState): void {
    this.phase = loop?.isTraining === false ? 'validation ' : '';
    this.phaseStart = this.now();
    this.samples = 0;
    this.lastDraw = -Infinity;
    this.line = '';
  }

  onValidationStart(loop: TrainingLoopState): void {
    this.onTrainingStart(loop);
  }

  onBatchEnd(loop: TrainingLoopState): void {
    this.samples += loop.lastStepInput?.shape[0] ?? 0;
    const last = (loop.batchIndex ?? 0) + 1 === loop.batchCount;
    const time = this.now();
    this.line = this.format(loop, time);
    if (this.interactive && (last || time - this.lastDraw >= this.refreshSeconds)) {
      this.output.write(`\r${this.line}\x1b[K`);
      this.lastDraw = time;
    } else if (!this.interactive && !last && time - Math.max(this.lastDraw, this.phaseStart) >= this.logSeconds) {
      this.output.write(`${this.line}\n`);
      this.lastDraw = time;
    }
  }

  onTrainingEnd(loop: TrainingLoopState): void {
    if (this.line) this.output.write(this.interactive ? `\r${this.format(loop, this.now())}\x1b[K\n` : `${this.format(loop, this.now())}\n`);
    this.line = '';
  }

  onValidationEnd(loop: TrainingLoopState): void {
    this.onTrainingEnd(loop);
  }

  /** The function form, `callbacks: [printer.printProgress]` (S4TF's spelling). */
  readonly printProgress = asFunction(this);

  /** `[validation ]b/B [bar] - name: value … - elapsed - ETA - samples/s`, cut to the
   * terminal's width by dropping the least useful fields first. */
  format(loop: TrainingLoopState, time: number): string {
    const done = (loop.batchIndex ?? 0) + 1;
    const total = loop.batchCount ?? done;
    const stats = (loop.lastStatsLog ?? []).map(({ name, value }) => `${name}: ${value.toFixed(4)}`);
    const elapsed = time - this.phaseStart;
    const rate = elapsed > 0 ? this.samples / elapsed : 0;
    const fields = {
      bar: this.barLength,
      stats,
      elapsed: formatDuration(elapsed),
      eta: done < total ? `ETA ${formatDuration((elapsed / done) * (total - done))}` : '',
      rate: `${Math.round(rate)} samples/s`,
    };
    const render = () =>
      [`${this.phase}${done}/${total}${fields.bar > 0 ? ` ${progressBar(done, total, fields.bar)}` : ''}`, ...fields.stats, fields.elapsed, fields.eta, fields.rate].filter((f) => f !== '').join(' - ');
    const width = this.width();
    if (width === undefined) return render();
    // the least useful first; one column stays free so the cursor never wraps
    const cuts = [() => (fields.rate = ''), () => (fields.elapsed = ''), () => (fields.bar = Math.min(fields.bar, 10)), () => (fields.eta = ''), () => (fields.bar = 0)];
    let line = render();
    for (const cut of cuts) {
      if (line.length < width) return line;
      cut();
      line = render();
    }
    while (line.length >= width && fields.stats.length > 1) {
      fields.stats.pop();
      line = render();
    }
    return line.length < width ? line : line.slice(0, Math.max(1, width - 1));
  }

  /** The terminal's width when drawing in place (undefined otherwise: a log line is whole). */
  private width(): number | undefined {
    const columns = this.output.columns;
    return this.interactive && typeof columns === 'number' && columns > 0 ? columns : undefined;
  }
}
