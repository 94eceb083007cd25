// CRC-32C, TFRecord framing and the Event protobuf against the published check value and
// checked-in golden records, and a round trip through the event-file writer.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c, maskedCrc32c } from '../../src/io/crc32c.js';
import { EventFileWriter } from '../../src/io/event-file-writer.js';
import { ProtoWriter, readFields } from '../../src/io/protobuf.js';
import { decodeEvent, encodeEvent } from '../../src/io/tensorboard-events.js';
import { decodeRecords, encodeRecord } from '../../src/io/tfrecord.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test('crc32c of "123456789" is the published check value 0xE3069283', () => {
  assert.is(crc32c(ascii('123456789')), 0xe3069283);
});

test('masked crc32c of the empty string is the mask delta 0xA282EAD8', () => {
  assert.is(maskedCrc32c(new Uint8Array()), 0xa282ead8);
});

test('crc32c of 32 zero bytes is 0x8A9136AA (RFC 3720 test vector)', () => {
  assert.is(crc32c(new Uint8Array(32)), 0x8a9136aa);
});

test('file_version event encodes to the golden record', () => {
  const payload = encodeEvent({ wallTime: 1600000000.0, fileVersion: 'brain.Event:2' });
  assert.is(hex(payload), '090000000084d7d7411a0d627261696e2e4576656e743a32');
  assert.is(hex(encodeRecord(payload)), '1800000000000000' + 'a37f4b22' + hex(payload) + '253c71d0');
});

test('scalar event encodes to the golden record', () => {
  const payload = encodeEvent({
    wallTime: 1600000000.0,
    step: 1,
    summary: [{ tag: 'epoch_loss', simpleValue: 0.5, displayName: 'epoch_loss' }],
  });
  assert.is(hex(payload), '090000000084d7d741' + '1001' + '2a21' + '0a1f' + '0a0a65706f63685f6c6f7373' + '150000003f' + '4a0c120a65706f63685f6c6f7373');
  assert.is(hex(encodeRecord(payload)), '2e00000000000000' + 'c5cb57fa' + hex(payload) + 'd2aa07f2');
});

test('decodeEvent reads back what encodeEvent wrote, step 0 left off the wire', () => {
  const event = { wallTime: 1234.5, step: 0, summary: [{ tag: 'batch_loss', simpleValue: 2.25, displayName: 'batch_loss', description: 'd' }] };
  const bytes = encodeEvent(event);
  assert.not.ok(readFields(bytes).some((f) => f.field === 2), 'step 0 is absent');
  assert.equal(decodeEvent(bytes), { wallTime: 1234.5, summary: event.summary });
  assert.is(decodeEvent(encodeEvent({ wallTime: 1, step: 123456789012 })).step, 123456789012);
});

test('protobuf varints: 300 is ac 02, -1 takes ten bytes', () => {
  assert.is(hex(new ProtoWriter().int(1, 300).finish()), '08ac02');
  assert.is(new ProtoWriter().int(1, -1).finish().length, 11);
});

test('decodeRecords rejects a flipped payload byte and a truncated file', () => {
  const bytes = Uint8Array.from([...encodeRecord(ascii('hello')), ...encodeRecord(ascii('world'))]);
  assert.equal(decodeRecords(bytes).map((r) => new TextDecoder().decode(r)), ['hello', 'world']);
  const corrupt = bytes.slice();
  corrupt[13] ^= 1;
  assert.throws(() => decodeRecords(corrupt), /payload CRC mismatch in record 0/);
  assert.throws(() => decodeRecords(bytes.subarray(0, bytes.length - 3)), /record 1 .* needs 5 payload bytes/);
  const badLength = bytes.slice();
  badLength[0] = 7;
  assert.throws(() => decodeRecords(badLength), /length CRC mismatch/);
});

test('EventFileWriter names the file after time and host and writes ordered records', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'tb-')), 'train');
  const writer = new EventFileWriter(dir, 1600000000.25);
  for (let step = 0; step < 50; step++) writer.addScalar('batch_loss', 1 / (step + 1), step, 1600000001 + step);
  await writer.flush();
  const files = readdirSync(dir);
  assert.is(files.length, 1);
  assert.match(files[0]!, /^events\.out\.tfevents\.1600000000\./);
  const events = decodeRecords(readFileSync(join(dir, files[0]!))).map(decodeEvent);
  assert.equal(events[0], { wallTime: 1600000000.25, fileVersion: 'brain.Event:2' });
  assert.is(events.length, 51);
  events.slice(1).forEach((e, i) => {
    assert.is(e.step ?? 0, i);
    assert.is(e.summary![0]!.tag, 'batch_loss');
    assert.is(e.summary![0]!.simpleValue, Math.fround(1 / (i + 1)));
  });
});

test.run();
