// TFRecord framing, the container of TensorBoard event files. Each record is
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes
//   | payload | uint32 masked CRC-32C of the payload
// (tensorboard/summary/writer/record_writer.py).

import { TensorLoopError } from '../errors.js';
import { maskedCrc32c } from './crc32c.js';

/** One framed record around `payload`. */
export function encodeRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + payload.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(payload.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(payload, 12);
  view.setUint32(12 + payload.length, maskedCrc32c(payload), true);
  return out;
}

/** The payloads of every record in `bytes`, checking both CRCs of each. A truncated or
 * corrupt file is an error naming the record and byte offset. */
export function decodeRecords(bytes: Uint8Array): Uint8Array[] {
  if (!(bytes instanceof Uint8Array)) throw new TensorLoopError('tfrecord: expected the file\'s bytes as a Uint8Array');
  const records: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    const where = `record ${records.length} at byte ${pos}`;
    if (pos + 12 > bytes.length) throw new TensorLoopError(`tfrecord: truncated header of ${where}`);
    const length = Number(view.getBigUint64(pos, true));
    if (view.getUint32(pos + 8, true) !== maskedCrc32c(bytes.subarray(pos, pos + 8))) {
      throw new TensorLoopError(`tfrecord: length CRC mismatch in ${where}`);
    }
    if (pos + 12 + length + 4 > bytes.length) {
      throw new TensorLoopError(`tfrecord: ${where} needs ${length} payload bytes, file ends ${bytes.length - pos - 12} bytes later`);
    }
    const payload = bytes.subarray(pos + 12, pos + 12 + length);
    if (view.getUint32(pos + 12 + length, true) !== maskedCrc32c(payload)) {
      throw new TensorLoopError(`tfrecord: payload CRC mismatch in ${where}`);
    }
    records.push(payload);
    pos += 12 + length + 4;
  }
  return records;
}
