// A TensorBoard event file: `events.out.tfevents.<seconds>.<host>` in a log directory,
// opened with the `file_version: "brain.Event:2"` record, then one TFRecord-framed Event
// per scalar. Writes go through one ordered queue per file, so records never interleave
// or reorder, and training never waits on the disk; `flush()` waits for the queue.

import { appendFile, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type TensorBoardEvent, encodeEvent } from './tensorboard-events.js';
import { encodeRecord } from './tfrecord.js';

const append = promisify(appendFile);

export class EventFileWriter {
  readonly path: string;
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(readonly logDirectory: string, now: number = Date.now() / 1000) {
    mkdirSync(logDirectory, { recursive: true });
    this.path = join(logDirectory, `events.out.tfevents.${Math.floor(now)}.${hostname()}`);
    writeFileSync(this.path, encodeRecord(encodeEvent({ wallTime: now, fileVersion: 'brain.Event:2' })));
  }

  /** Queues one event; it is written after every event queued before it. */
  add(event: TensorBoardEvent): void {
    const record = encodeRecord(encodeEvent(event));
    this.queue = this.queue.then(() => append(this.path, record)).catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** A scalar summary: `tag` at `step`, stamped with the current time. */
  addScalar(tag: string, value: number, step: number, wallTime: number = Date.now() / 1000): void {
    this.add({ wallTime, step, summary: [{ tag, simpleValue: value, displayName: tag }] });
  }

  /** Resolves once every queued event is on disk; rethrows the first write error. */
  async flush(): Promise<void> {
    await this.queue;
    if (this.failure !== undefined) throw this.failure;
  }
}
