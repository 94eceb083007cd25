// A TensorBoard event file: `events.out.tfevents.<seconds>.<host>` in a log directory,
// opened with the `file_version: "brain.Event:2"` record, then one TFRecord-framed Event
// per scalar, in the order added (Node only).
//
// Records are collected in memory and appended to the file in one synchronous write at
// most FLUSH_SECONDS after the oldest of them was added: by the next `add` once that
// time has passed, by a timer otherwise, at every `flush()` (the logger flushes at each
// epoch end) and when the process exits (an uncaught error, `process.exit`). So a crash
// or a Ctrl-C loses at most the last second of records, and training pays for one small
// write a second, whatever the device. A write that fails is reported by the next `flush()`.

import { TensorLoopError } from '../errors.js';
import { nodeModule } from '../platform.js';
import { type TensorBoardEvent, encodeEvent } from './tensorboard-events.js';
import { encodeRecord } from './tfrecord.js';

const NODE_ONLY = 'EventFileWriter: TensorBoard event files are written in Node only';

/** The longest a record waits in memory before it is written. */
export const FLUSH_SECONDS = 1;

/** Writers holding records not yet written, all written by one `exit` handler. */
const unwritten = new Set<EventFileWriter>();
let exitHandlerInstalled = false;

export class EventFileWriter {
  readonly path: string;
  private pending: Uint8Array[] = [];
  private oldestPending = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failure: unknown;

  constructor(readonly logDirectory: string, now: number = Date.now() / 1000) {
    const { mkdirSync, writeFileSync } = nodeModule('fs', NODE_ONLY);
    this.path = nodeModule('path', NODE_ONLY).join(logDirectory, `events.out.tfevents.${Math.floor(now)}.${nodeModule('os', NODE_ONLY).hostname()}`);
    try {
      mkdirSync(logDirectory, { recursive: true });
      writeFileSync(this.path, encodeRecord(encodeEvent({ wallTime: now, fileVersion: 'brain.Event:2' })));
    } catch (error) {
      throw new TensorLoopError(`EventFileWriter: cannot create ${this.path}: ${(error as Error).message}`);
    }
  }

  /** Queues one event; it is written after every event queued before it. */
  add(event: TensorBoardEvent): void {
    this.pending.push(encodeRecord(encodeEvent(event)));
    if (this.pending.length === 1) {
      this.oldestPending = Date.now();
      unwritten.add(this);
      installExitHandler();
      this.timer = setTimeout(() => this.write(), FLUSH_SECONDS * 1000);
      this.timer.unref?.(); // a pending write never keeps the process alive (exit writes it)
    } else if (Date.now() - this.oldestPending >= FLUSH_SECONDS * 1000) {
      this.write(); // the timer could not fire: the event loop was busy training
    }
  }

  /** A scalar summary: `tag` at `step`, stamped with the current time. */
  addScalar(tag: string, value: number, step: number, wallTime: number = Date.now() / 1000): void {
    this.add({ wallTime, step, summary: [{ tag, simpleValue: value, displayName: tag }] });
  }

  /** Writes every queued event now; rethrows the first write error, naming the file. */
  async flush(): Promise<void> {
    this.write();
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw new TensorLoopError(`EventFileWriter: cannot write ${this.path}: ${(failure as Error).message}`);
    }
  }

  /** Appends the pending records in one write (synchronous: safe in an `exit` handler). */
  write(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    unwritten.delete(this);
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    const bytes = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
    let at = 0;
    for (const r of records) {
      bytes.set(r, at);
      at += r.length;
    }
    try {
      nodeModule('fs', NODE_ONLY).appendFileSync(this.path, bytes);
    } catch (error) {
      this.failure ??= error;
    }
  }
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const writer of [...unwritten]) writer.write();
  });
}
