// The CPU device's WebAssembly kernels as one module, built from the generators in this
// folder and instantiated once, on first use, by the runtime (src/device/wasm/runtime.ts).
// `wasmKernels()` is null where WebAssembly SIMD is unavailable, or when switched off
// (TENSORLOOP_WASM=0, or setWasmKernels(false)): the CPU kernels then run their
// TypeScript reference loops.

import { buildModule } from '../../device/wasm/module-builder.js';
import { type WasmRuntime, createRuntime } from '../../device/wasm/runtime.js';
import { biasActivationFunctions } from './bias-activation.js';
import { elementwiseFunctions } from './elementwise.js';
import { gemmFunction } from './gemm.js';
import { patchesFunctions } from './im2col.js';
import { optimizerFunctions } from './optim.js';
import { poolFunctions } from './pool.js';
import { sumColumnsFunctions } from './sum-columns.js';

let runtime: WasmRuntime | null | undefined;
let enabled = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TENSORLOOP_WASM !== '0';

function functions() {
  const gemms = (['rowMajor', 'columnMajor'] as const).flatMap((a) => (['rowMajor', 'transposed'] as const).map((b) => gemmFunction(a, b)));
  return [...gemms, ...elementwiseFunctions(), ...biasActivationFunctions(), ...optimizerFunctions(), ...sumColumnsFunctions(), ...poolFunctions(), ...patchesFunctions()];
}

export function wasmKernels(): WasmRuntime | null {
  if (!enabled) return null;
  runtime ??= createRuntime((memory) => buildModule(functions(), memory));
  return runtime;
}

/** Switches the WebAssembly kernels on or off (tests compare both paths); returns the old state. */
export function setWasmKernels(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}
