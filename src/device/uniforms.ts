// Packing a kernel's uniforms (sizes, shapes, strides, scalar parameters) into bytes laid
// out as WGSL lays out the matching `struct`: 4-byte scalars packed in order, and shape
// vectors as `array<vec4<u32>, 2>` (16-byte aligned, up to MAX_RANK entries). A launcher
// lists its fields in the order of the struct in its WGSL:
//
//   struct Uniforms { size: u32, alpha: f32, shape: array<vec4<u32>, 2> }
//   uniforms: [u32(n), f32(alpha), dims(shape)]

import { TensorLoopError } from '../errors.js';

/** The largest rank a WGSL kernel handles (shape vectors are two vec4<u32>). */
export const MAX_RANK = 8;

export type Uniform =
  | { readonly type: 'u32' | 'i32' | 'f32'; readonly value: number }
  | { readonly type: 'dims'; readonly values: readonly number[] };

export const u32 = (value: number): Uniform => ({ type: 'u32', value });
export const i32 = (value: number): Uniform => ({ type: 'i32', value });
export const f32 = (value: number): Uniform => ({ type: 'f32', value });
/** A shape or stride vector, read in WGSL as `array<vec4<u32>, 2>` (unused entries are 0). */
export const dims = (values: readonly number[]): Uniform => ({ type: 'dims', values });

/** Byte size of the packed struct (a multiple of 16, as WGSL rounds uniform structs). */
export function uniformsByteLength(fields: readonly Uniform[]): number {
  let offset = 0;
  for (const f of fields) offset = f.type === 'dims' ? align(offset, 16) + MAX_RANK * 4 : offset + 4;
  return align(Math.max(offset, 4), 16);
}

/** Writes the fields into `view` at `base`; returns the packed byte length. */
export function packUniforms(fields: readonly Uniform[], view: DataView, base: number): number {
  let offset = 0;
  for (const f of fields) {
    if (f.type === 'dims') {
      if (f.values.length > MAX_RANK) throw new TensorLoopError(`webgpu: rank ${f.values.length} is above the kernels' maximum rank ${MAX_RANK}`);
      offset = align(offset, 16);
      for (let k = 0; k < MAX_RANK; k++) view.setUint32(base + offset + 4 * k, f.values[k] ?? 0, true);
      offset += MAX_RANK * 4;
    } else {
      if (f.type === 'u32') view.setUint32(base + offset, f.value, true);
      else if (f.type === 'i32') view.setInt32(base + offset, f.value, true);
      else view.setFloat32(base + offset, f.value, true);
      offset += 4;
    }
  }
  return align(Math.max(offset, 4), 16);
}

export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
