// `new CSVLogger({path})`: one CSV row per batch that has statistics, training and
// validation alike, under the header `epoch,batch,phase,loss,<metrics…>,learning_rate`. Unlike S4TF's:
// a plain `,` separator, 1-based plain-number epoch and batch cells, a
// `phase` column (`train` / `validation`), so any CSV reader takes it as is. Each row is
// appended to the file at once (no buffering): a crash keeps every row written.
// The directory is created and the file truncated when the logger is made, as S4TF;
// with `append: true` (a resumed run, Keras' option) the rows go after those already there,
// under their header.
// Files are Node's; with `path: null` (a browser) the CSV collects in memory as `text`.

import { TensorLoopError } from '../../errors.js';
import { nodeModule } from '../../platform.js';
import { asFunction } from '../callback.js';
import type { TrainingLoopState } from '../state.js';
import { checkOptions } from '../../options.js';

export interface CSVLoggerOptions {
  /** Default `run/log.csv`; must end in `.csv`. `null`: no file, read the CSV from `text`. */
  path?: string | null;
  /** Keep the rows already in the file and add to them (default false: start it afresh). */
  append?: boolean;
}

/** The shortest decimal text that reads back as the same float32 (`0.1`, not
 * `0.10000000149011612`); `NaN`, `inf`, `-inf` for the non-finite. */
export function formatFloat32(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const f = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const text = f.toPrecision(digits);
    if (Math.fround(Number(text)) === f) return String(Number(text));
  }
  return String(f);
}

export class CSVLogger {
  readonly path: string | null;
  private columns: string[] | undefined;
  private lastLog: unknown;
  private readonly lines: string[] = [];
  private readonly append: (line: string) => void;

  constructor(options: CSVLoggerOptions = {}) {
    const { path = 'run/log.csv', append = false } = checkOptions('CSVLogger', options, ['path', 'append']);
    this.path = path;
    if (path === null) {
      this.append = (line) => this.lines.push(line);
      return;
    }
    if (!path.endsWith('.csv')) throw new TensorLoopError(`CSVLogger: path must end in .csv, got '${path}'`);
    const { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } = nodeModule('fs', `CSVLogger: writing ${path} works in Node only; in a browser pass {path: null} and read logger.text`);
    try {
      mkdirSync(nodeModule('path', 'CSVLogger').dirname(path), { recursive: true });
      const header = append && existsSync(path) ? readFileSync(path, 'utf8').split('\n', 1)[0]! : '';
      // the header's statistics (between phase and learning_rate): later rows must match them
      if (header !== '') this.columns = header.split(',').slice(3, -1);
      else writeFileSync(path, '');
    } catch (error) {
      throw new TensorLoopError(`CSVLogger: cannot create ${path}: ${(error as Error).message}`);
    }
    this.append = (line) => {
      try {
        appendFileSync(path, line);
      } catch (error) {
        throw new TensorLoopError(`CSVLogger: cannot write ${path}: ${(error as Error).message}`);
      }
    };
  }

  /** The CSV so far, when made with `path: null` (empty otherwise: the rows are in the file). */
  get text(): string {
    return this.lines.join('');
  }

  /** Writes the row of a batch whose statistics were just measured. */
  onBatchEnd(loop: TrainingLoopState): void {
    const stats = loop.lastStatsLog;
    // a row only for a batch whose statistics were just measured (not a stale log)
    if (!stats || stats === this.lastLog || loop.epochIndex === undefined || loop.batchIndex === undefined) return;
    this.lastLog = stats;
    const names = stats.map((s) => s.name);
    if (!this.columns) {
      this.columns = names;
      this.append(`${['epoch', 'batch', 'phase', ...names, 'learning_rate'].join(',')}\n`);
    } else if (names.join(',') !== this.columns.join(',')) {
      throw new TensorLoopError(`CSVLogger: statistics changed from [${this.columns.join(', ')}] to [${names.join(', ')}] within one file`);
    }
    const cells = [loop.epochIndex + 1, loop.batchIndex + 1, loop.isTraining ? 'train' : 'validation', ...stats.map((s) => formatFloat32(s.value)), formatFloat32(loop.optimizer.learningRate)];
    this.append(`${cells.join(',')}\n`);
  }

  /** The function form, `callbacks: [logger.log]` (S4TF's spelling); `callbacks: [logger]` is the same. */
  readonly log = asFunction(this);
}
