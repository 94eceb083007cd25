// TensorBoard's `Event` and `Summary` messages, encoded and decoded by hand
// (tensorboard/compat/proto/event.proto, summary.proto). Only what scalar logging needs:
//   Event   { wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
//             summary = 5 (Summary) }
//   Summary { repeated Value value = 1 }
//   Value   { tag = 1, simple_value = 2 (float), metadata = 9 (SummaryMetadata) }
//   SummaryMetadata { display_name = 2, summary_description = 3 }
// proto3: zero and empty values are left out, so `step = 0` is simply absent.

import { TensorLoopError } from '../errors.js';
import { type ProtoField, ProtoWriter, WireType, readFields } from './protobuf.js';

export interface ScalarValue {
  tag: string;
  simpleValue: number;
  displayName?: string;
  description?: string;
}

export interface TensorBoardEvent {
  /** Seconds since the Unix epoch, with a fraction. */
  wallTime: number;
  step?: number;
  fileVersion?: string;
  summary?: ScalarValue[];
}

export function encodeEvent(event: TensorBoardEvent): Uint8Array {
  const w = new ProtoWriter();
  if (event.wallTime !== 0) w.double(1, event.wallTime);
  if (event.step) w.int(2, event.step);
  if (event.fileVersion) w.string(3, event.fileVersion);
  if (event.summary) {
    w.message(5, (summary) => {
      for (const value of event.summary!) {
        summary.message(1, (v) => {
          if (value.tag) v.string(1, value.tag);
          if (value.simpleValue !== 0 || Object.is(value.simpleValue, -0)) v.float(2, value.simpleValue);
          const displayName = value.displayName ?? '';
          const description = value.description ?? '';
          if (displayName || description) {
            v.message(9, (m) => {
              if (displayName) m.string(2, displayName);
              if (description) m.string(3, description);
            });
          }
        });
      }
    });
  }
  return w.finish();
}

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

/** Reads back what encodeEvent writes (unknown fields are skipped). */
export function decodeEvent(bytes: Uint8Array): TensorBoardEvent {
  if (!(bytes instanceof Uint8Array)) throw new TensorLoopError('decodeEvent: expected the record\'s bytes as a Uint8Array');
  const event: TensorBoardEvent = { wallTime: 0 };
  for (const f of readFields(bytes)) {
    if (f.field === 1) event.wallTime = expect(f, WireType.fixed64, 'Event.wall_time').fixed!.getFloat64(0, true);
    else if (f.field === 2) event.step = Number(BigInt.asIntN(64, expect(f, WireType.varint, 'Event.step').varint!));
    else if (f.field === 3) event.fileVersion = text(expect(f, WireType.lengthDelimited, 'Event.file_version').bytes);
    else if (f.field === 5) event.summary = decodeSummary(expect(f, WireType.lengthDelimited, 'Event.summary').bytes!);
  }
  return event;
}

/** `field` itself, once its wire type is the one the schema gives `name`. */
function expect(field: ProtoField, wireType: number, name: string): ProtoField {
  if (field.wireType !== wireType) throw new TensorLoopError(`decodeEvent: ${name} (field ${field.field}) has wire type ${field.wireType}, expected ${wireType}`);
  return field;
}

function decodeSummary(bytes: Uint8Array): ScalarValue[] {
  const values: ScalarValue[] = [];
  for (const f of readFields(bytes)) {
    if (f.field !== 1) continue;
    const value: ScalarValue = { tag: '', simpleValue: 0 };
    for (const g of readFields(expect(f, WireType.lengthDelimited, 'Summary.value').bytes!)) {
      if (g.field === 1) value.tag = text(expect(g, WireType.lengthDelimited, 'Value.tag').bytes);
      else if (g.field === 2) value.simpleValue = expect(g, WireType.fixed32, 'Value.simple_value').fixed!.getFloat32(0, true);
      else if (g.field === 9) {
        for (const m of readFields(expect(g, WireType.lengthDelimited, 'Value.metadata').bytes!)) {
          if (m.field === 2) value.displayName = text(expect(m, WireType.lengthDelimited, 'SummaryMetadata.display_name').bytes);
          else if (m.field === 3) value.description = text(expect(m, WireType.lengthDelimited, 'SummaryMetadata.summary_description').bytes);
        }
      }
    }
    values.push(value);
  }
  return values;
}
