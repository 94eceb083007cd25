// Where the WebGPU entry point comes from. In a browser (and Deno) it is `navigator.gpu`,
// with GPUBufferUsage and friends as globals. In Node it is Dawn's bindings, the `webgpu`
// npm package, loaded only when a WebGPU device is asked for: the package's `browser: false`
// mapping (package.json) keeps bundlers from pulling Dawn into a browser bundle.

import { TensorLoopError } from '../errors.js';
import { isNode } from '../platform.js';

/** The flag constants a device needs (globals in a browser, exports of the `webgpu` package in Node). */
export interface GpuConstants {
  GPUBufferUsage: typeof GPUBufferUsage;
  GPUMapMode: typeof GPUMapMode;
  GPUShaderStage: typeof GPUShaderStage;
}

export interface GpuInstance {
  gpu: GPU;
  constants: GpuConstants;
  /** Where it came from, for error messages. */
  source: 'navigator.gpu' | 'dawn';
}

export const BROWSER_HINT =
  'WebGPU needs a browser that has it (Chrome or Edge 113+, Safari 26, Firefox 141+; Chromium on Linux with ' +
  '--enable-unsafe-webgpu) and a secure context (https, or http on localhost)';

/** Dawn instances by their flags, kept for the life of the process. Dawn's Node binding keeps
 * polling an instance after the devices made from it are disposed; once the garbage
 * collector freed a disposed device's instance, that poll read freed memory and the process
 * aborted (a second device made and disposed, then any later GPU wait). */
const dawnInstances = new Map<string, GPU>();

/** `navigator.gpu` when there is one (unless Dawn flags ask for Dawn), else Dawn's bindings in Node. */
export async function gpuInstance(dawnFlags?: readonly string[]): Promise<GpuInstance> {
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navigatorGpu && !(isNode && dawnFlags?.length)) {
    return { gpu: navigatorGpu, constants: globalThis as unknown as GpuConstants, source: 'navigator.gpu' };
  }
  if (!isNode) throw new TensorLoopError(`webgpu: this browser has no navigator.gpu. ${BROWSER_HINT}`);
  let dawn: typeof import('webgpu');
  try {
    dawn = await import('webgpu');
  } catch (error) {
    throw new TensorLoopError(`webgpu: cannot load the \`webgpu\` package (Dawn for Node): ${(error as Error).message}`);
  }
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process!.env;
  env.XDG_RUNTIME_DIR ??= '/tmp'; // Vulkan loaders warn (and some fail) without it
  const flags = [...(dawnFlags ?? [])];
  const key = flags.join('\n');
  let gpu = dawnInstances.get(key);
  if (!gpu) dawnInstances.set(key, (gpu = dawn.create(flags)));
  return { gpu, constants: dawn.globals as unknown as GpuConstants, source: 'dawn' };
}
