// The IDX file format of MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
// (0, 0, element type, number of dimensions), one big-endian uint32 per dimension, then
// the elements. Only unsigned bytes (type 0x08) are read, as MNIST uses. Wrong magic or a
// length that does not match the dimensions is an error, never a short dataset.

import { TensorLoopError } from '../errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new TensorLoopError(`IDX file ${name}: expected its bytes as a Uint8Array, got ${bytes === undefined ? 'nothing' : typeof bytes}`);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new TensorLoopError(`IDX file ${name}: not an IDX file (magic number ${hexMagic(bytes)}, expected 0x0000080N)`);
  }
  if (bytes[2] !== 0x08) throw new TensorLoopError(`IDX file ${name}: element type 0x${bytes[2]!.toString(16)} is not unsigned bytes (0x08)`);
  const rank = bytes[3]!;
  const header = 4 + 4 * rank;
  if (rank < 1) throw new TensorLoopError(`IDX file ${name}: holds 0 dimensions; not an IDX file of arrays`);
  if (bytes.length < header) throw new TensorLoopError(`IDX file ${name}: truncated header (${bytes.length} bytes for ${rank} dimensions)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + size) {
    throw new TensorLoopError(
      `IDX file ${name}: dimensions [${dims.join(', ')}] need ${header + size} bytes, the file has ${bytes.length} ` +
        `(${bytes.length < header + size ? 'truncated' : 'trailing bytes'})`,
    );
  }
  return { dims, data: bytes.subarray(header) };
}

function hexMagic(bytes: Uint8Array): string {
  return `0x${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
