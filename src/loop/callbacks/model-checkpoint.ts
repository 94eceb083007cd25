// `modelCheckpoint({path | dir, monitor, mode, minDelta, saveBestOnly, every, keep})`: saves
// the model, the optimizer's whole state and the loop's position (resume-state.ts) as a
// safetensors checkpoint at the end of every `every`-th epoch (Keras' ModelCheckpoint).
// Any of its files continues the run exactly: `loop.fit(model, {epochs, resumeFrom: file})`.
//   path: 'runs/model.safetensors' is replaced at each save (atomically, see atomic-write.ts);
//         '{epoch}' in it gives one file per epoch ('runs/model-{epoch}.safetensors').
//   dir:  one file per epoch in that folder, 'epoch-001.safetensors', … (1-based, 3 digits).
//   saveBestOnly: save only when the monitored statistic (see monitor.ts) beats the best saved.
//   keep: how many of the newest per-epoch files to keep; older ones are deleted.
// An epoch's file is written once every callback has run for its epochEnd (at the next
// epochStart, or at fitEnd), so it holds their state whatever the order of the callbacks
// (reduceLearningRateOnPlateau lowering the rate, earlyStopping counting).
// When the fit is stopped early (Ctrl-C, loop.requestStop()), it saves where the run stood
// to '…-interrupted.safetensors' beside the others, whatever `every` and `saveBestOnly` say,
// and prints the resumeFrom call that continues it.

import { TensorLoopError } from '../../errors.js';
import { saveCheckpoint } from '../../io/checkpoint.js';
import type { Module } from '../../nn/module.js';
import type { Optimizer } from '../../optim/optimizer.js';
import { checkOptions } from '../../options.js';
import { nodeModule } from '../../platform.js';
import type { TrainingLoopState } from '../state.js';
import { Monitor, type MonitorMode } from './monitor.js';
import type { CallbackState } from '../resume-state.js';

export interface ModelCheckpointOptions {
  /** The file to write ('{epoch}' in it: one file per epoch). Give `path` or `dir`. */
  path?: string;
  /** A folder for one file per epoch, `epoch-001.safetensors`, …. */
  dir?: string;
  /** What saveBestOnly watches; default 'validation.loss' (see monitor.ts). */
  monitor?: string;
  mode?: MonitorMode;
  minDelta?: number;
  /** Save only when the monitored statistic improves on the best saved (default false). */
  saveBestOnly?: boolean;
  /** Save after every this many epochs (default 1). */
  every?: number;
  /** Keep only the newest this many per-epoch files (default: all). */
  keep?: number;
  /** Where the line per save goes (default console.log). */
  log?: (message: string) => void;
}

const EPOCH = '{epoch}';

export class ModelCheckpoint {
  readonly name = 'ModelCheckpoint';
  /** The file name pattern, '{epoch}' standing for the 1-based epoch. */
  readonly template: string;
  readonly monitor: Monitor;
  readonly saveBestOnly: boolean;
  readonly every: number;
  readonly keep: number;
  /** Every file written in the current fit, in order. */
  readonly saved: string[] = [];
  private readonly log: (message: string) => void;
  /** The save decided at the last epochEnd, done at the next epochStart or fitEnd. */
  private pending: { path: string; epoch: number; value: number | undefined } | undefined;

  constructor(options: ModelCheckpointOptions) {
    const { path, dir, monitor = 'validation.loss', mode = 'auto', minDelta = 0, saveBestOnly = false, every = 1, keep = Infinity, log = (m: string) => console.log(m) } = checkOptions('modelCheckpoint', options, [
      'path',
      'dir',
      'monitor',
      'mode',
      'minDelta',
      'saveBestOnly',
      'every',
      'keep',
      'log',
    ]);
    if ((path === undefined) === (dir === undefined)) throw new TensorLoopError('modelCheckpoint: give either path (a file) or dir (a folder), not both or neither');
    for (const [key, value] of [['path', path], ['dir', dir]] as const) {
      if (value !== undefined && (typeof value !== 'string' || value === '')) throw new TensorLoopError(`modelCheckpoint: ${key} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
    if (!(Number.isInteger(every) && every >= 1)) throw new TensorLoopError(`modelCheckpoint: every must be an integer ≥ 1 (epochs), got ${every}`);
    if (!((Number.isInteger(keep) || keep === Infinity) && keep >= 1)) throw new TensorLoopError(`modelCheckpoint: keep must be an integer ≥ 1, got ${keep}`);
    this.template = dir !== undefined ? `${dir.replace(/\/+$/, '')}/epoch-${EPOCH}.safetensors` : path!;
    if (keep !== Infinity && !this.template.includes(EPOCH)) throw new TensorLoopError(`modelCheckpoint: keep needs one file per epoch ('${EPOCH}' in path, or dir); '${this.template}' is a single file`);
    this.monitor = new Monitor('modelCheckpoint', monitor, mode, minDelta);
    this.saveBestOnly = saveBestOnly;
    this.every = every;
    this.keep = keep;
    this.log = log;
  }

  /** The newest file written in the current fit. */
  get lastSaved(): string | undefined {
    return this.saved.at(-1);
  }

  onFitStart(loop: TrainingLoopState): void {
    if (typeof (loop.model as Partial<Module> | undefined)?.namedState !== 'function') throw new TensorLoopError('modelCheckpoint: the model must be a Module (one with namedState())');
    this.monitor.reset();
    this.saved.length = 0;
    this.pending = undefined;
  }

  /** The best value saved so far, kept in its own checkpoints (see resume-state.ts). */
  checkpointState(): CallbackState {
    return { best: this.monitor.savedBest() };
  }

  restoreCheckpointState(state: CallbackState): void {
    this.monitor.restoreBest(state.best);
  }

  onTrainingEnd(loop: TrainingLoopState): void {
    if (this.saveBestOnly) this.monitor.observe(loop, 'training');
  }

  onValidationEnd(loop: TrainingLoopState): void {
    if (this.saveBestOnly) this.monitor.observe(loop, 'validation');
  }

  async onEpochEnd(loop: TrainingLoopState): Promise<void> {
    const value = this.monitor.take();
    if (loop.stopRequested) return; // a cut-short epoch: fitEnd saves where it stood
    const epoch = (loop.epochIndex ?? 0) + 1;
    if (epoch % this.every !== 0) return;
    if (this.saveBestOnly) {
      if (value === undefined || !this.monitor.improves(value)) return;
      this.monitor.best = value;
    }
    this.pending = { path: this.fileFor(epoch), epoch, value };
  }

  async onEpochStart(loop: TrainingLoopState): Promise<void> {
    await this.savePending(loop);
  }

  async onFitEnd(loop: TrainingLoopState): Promise<void> {
    await this.savePending(loop);
    if (!loop.stopRequested) return;
    const state = loop.resumeState?.();
    if (!state) return;
    const path = this.fileFor(state.epoch + (state.batch > 0 ? 1 : 0)).replace(/(\.safetensors)?$/, '-interrupted$1');
    await this.save(loop, path);
    const { resolve } = nodeModule('path', 'modelCheckpoint: files work in Node only');
    const where = state.batch > 0 ? `in epoch ${state.epoch + 1}/${state.epochCount} after training batch ${state.batch}` : `after epoch ${state.epoch}/${state.epochCount}`;
    this.log(`Stopped ${where}; saved ${path}. To continue: loop.fit(model, {epochs: ${state.epochCount}, resumeFrom: ${JSON.stringify(resolve(path))}})`);
  }

  private async savePending(loop: TrainingLoopState): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    await this.save(loop, pending.path);
    this.log(`modelCheckpoint: epoch ${pending.epoch} saved to ${pending.path}` + (this.saveBestOnly ? ` (${this.monitor.name} ${pending.value})` : ''));
    if (this.keep !== Infinity) await this.deleteOld();
  }

  private fileFor(epoch: number): string {
    return this.template.replaceAll(EPOCH, String(epoch).padStart(3, '0'));
  }

  private async save(loop: TrainingLoopState, path: string): Promise<void> {
    const optimizer = typeof (loop.optimizer as Partial<Optimizer>).state === 'function' ? (loop.optimizer as Optimizer) : undefined;
    await saveCheckpoint(path, { model: loop.model as unknown as Module, optimizer, extra: { tensorloop: { resume: loop.resumeState?.() } } });
    this.saved.push(path);
  }

  /** Deletes all but the newest `keep` files of the pattern in its folder (older runs' too). */
  private async deleteOld(): Promise<void> {
    const { readdir, rm } = nodeModule('fs/promises', 'modelCheckpoint: files work in Node only');
    const { basename, dirname, join } = nodeModule('path', 'modelCheckpoint: files work in Node only');
    const folder = dirname(this.template);
    const [before, after] = basename(this.template).split(EPOCH) as [string, string];
    const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`^${escape(before)}(\\d+)${escape(after)}$`);
    const files = (await readdir(folder)).flatMap((name) => {
      const match = pattern.exec(name);
      return match ? [[Number(match[1]), name] as const] : [];
    });
    files.sort((a, b) => a[0] - b[0]);
    for (const [, name] of files.slice(0, Math.max(0, files.length - this.keep))) await rm(join(folder, name), { force: true });
  }
}

export function modelCheckpoint(options: ModelCheckpointOptions): ModelCheckpoint {
  return new ModelCheckpoint(options);
}
