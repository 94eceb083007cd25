// Elementwise kernels in WebAssembly SIMD (filled in below).
import type { FunctionBuilder } from '../../device/wasm/module-builder.js';

export function elementwiseFunctions(): FunctionBuilder[] {
  return [];
}
