// The public decoders and file writers let no raw RangeError, TypeError or file-system
// error out: malformed input and unwritable paths are TensorLoopErrors saying what and where.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TensorLoopError } from '../../src/errors.js';
import { ProtoWriter } from '../../src/io/protobuf.js';
import { decodeEvent, encodeEvent } from '../../src/io/tensorboard-events.js';
import { decodeRecords } from '../../src/io/tfrecord.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { crc32c } from '../../src/io/crc32c.js';
import { EventFileWriter } from '../../src/io/event-file-writer.js';
import { CSVLogger } from '../../src/loop/callbacks/csv-logger.js';

const loopError = (pattern: RegExp) => (e: Error) => e instanceof TensorLoopError && pattern.test(e.message);

test('decodeEvent: a field of the wrong wire type is a TensorLoopError (a RangeError before)', () => {
  const wallTimeAsFixed32 = new ProtoWriter().float(1, 1.5).finish();
  assert.throws(() => decodeEvent(wallTimeAsFixed32), loopError(/^decodeEvent: Event\.wall_time \(field 1\) has wire type 5, expected 1/));
  const stepAsString = new ProtoWriter().string(2, 'x').finish();
  assert.throws(() => decodeEvent(stepAsString), loopError(/Event\.step/));
  const valueAsDouble = new ProtoWriter().message(5, (s) => s.message(1, (v) => v.double(2, 1))).finish();
  assert.throws(() => decodeEvent(valueAsDouble), loopError(/Value\.simple_value/));
  assert.equal(decodeEvent(encodeEvent({ wallTime: 2, step: 3, summary: [{ tag: 'a', simpleValue: 0.5 }] })), { wallTime: 2, step: 3, summary: [{ tag: 'a', simpleValue: 0.5 }] });
});

test('decoders given something other than bytes say so', () => {
  const notBytes = 'events' as unknown as Uint8Array;
  assert.throws(() => decodeEvent(notBytes), loopError(/^decodeEvent: expected/));
  assert.throws(() => decodeRecords(notBytes), loopError(/^tfrecord: expected/));
  assert.throws(() => decodeSafetensors(notBytes), loopError(/^safetensors: expected/));
});

test('CSVLogger and EventFileWriter: a path that cannot be created names it', () => {
  const folder = mkdtempSync(join(tmpdir(), 'unwritable-'));
  const file = join(folder, 'plain-file');
  writeFileSync(file, 'not a folder');
  assert.throws(() => new CSVLogger({ path: join(file, 'log.csv') }), loopError(new RegExp(`^CSVLogger: cannot create ${file}/log\\.csv: .*(ENOTDIR|EEXIST)`)));
  assert.throws(() => new EventFileWriter(join(file, 'train')), loopError(/^EventFileWriter: cannot create .*plain-file\/train\/events\.out\.tfevents/));
});

test('encodeSafetensors and crc32c given malformed input say so (TypeErrors before)', () => {
  assert.throws(() => encodeSafetensors(null as never), loopError(/^safetensors: expected a list/));
  assert.throws(() => encodeSafetensors([['a', null as never]]), loopError(/^safetensors: expected \[name, \{dtype, shape, data/));
  assert.throws(() => encodeSafetensors([['a', { dtype: 'float32', shape: [2], data: [1, 2] as never }]]), loopError(/Float32Array \| Int32Array/));
  assert.throws(() => crc32c(null as never), loopError(/^crc32c: expected a Uint8Array/));
});

test.run();
