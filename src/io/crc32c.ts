// CRC-32C (Castagnoli), the checksum TFRecord files use, and TensorFlow's "masked" form
// of it. Reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF,
// table-driven one byte at a time (tensorflow/core/lib/hash/crc32c.h).
// Check value: crc32c("123456789") = 0xE3069283.

import { TensorLoopError } from '../errors.js';

const POLYNOMIAL = 0x82f63b78;

/** TABLE[b]: the CRC register after shifting byte b through it eight bits at a time. */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let crc = b;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    table[b] = crc >>> 0;
  }
  return table;
})();

/** The CRC-32C of `bytes`, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array)) throw new TensorLoopError('crc32c: expected a Uint8Array');
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const MASK_DELTA = 0xa282ead8;

/** TensorFlow's masked CRC: rotate right by 15 bits, add a constant (mod 2^32). Storing a
 * CRC of data that itself holds CRCs is then less likely to cancel out. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** The masked CRC-32C of `bytes`, as written in TFRecord frames. */
export function maskedCrc32c(bytes: Uint8Array): number {
  return maskCrc(crc32c(bytes));
}
