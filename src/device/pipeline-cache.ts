// Compute pipelines cached by kernel variant key (`binary/add/f32/broadcast`), never by
// tensor size: sizes travel in uniforms, so one pipeline serves every shape of a variant.
// Bind group layouts are explicit (not `layout: 'auto'`, which drops bindings a shader
// does not use) and shared by every kernel with the same binding signature:
//   binding 0            var<uniform>                (when the kernel has uniforms)
//   then one per input   var<storage, read>
//   then one per output  var<storage, read_write>
//   then, if asked       the device's status words   var<storage, read_write>
// The first build of each variant reports its WGSL to shader-debug.ts
// (TENSORLOOP_DEBUG=shaders prints it).

import { shaderBuilt } from './shader-debug.js';

export interface BindingSignature {
  uniforms: boolean;
  inputs: number;
  outputs: number;
  status: boolean;
}

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  bindGroupLayout: GPUBindGroupLayout;
  /** The layout's name (`u2i1o`), shared by every pipeline with the same signature. */
  layoutId: string;
}

export class PipelineCache {
  private pipelines = new Map<string, CachedPipeline>();
  private layouts = new Map<string, GPUBindGroupLayout>();

  /** `onError` receives shader compilation / pipeline validation errors (they arrive async). */
  constructor(
    private readonly device: GPUDevice,
    private readonly onError: (message: string) => void,
    private readonly storageStage: number,
  ) {}

  get size(): number {
    return this.pipelines.size;
  }

  /** The pipeline for `key`, compiling `wgsl()` on the first request only. */
  get(key: string, wgsl: string | (() => string), signature: BindingSignature): CachedPipeline {
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    const code = typeof wgsl === 'string' ? wgsl : wgsl();
    shaderBuilt(key, code);
    const layoutId = layoutIdOf(signature);
    const bindGroupLayout = this.layoutFor(layoutId, signature);
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label: key });
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] }),
      compute: { module, entryPoint: 'main' },
    });
    // Tint's message names the line and column of the WGSL error.
    void this.device.popErrorScope().then((error) => {
      if (error) this.onError(`kernel ${key} failed to compile: ${error.message}`);
    });
    const entry = { pipeline, bindGroupLayout, layoutId };
    this.pipelines.set(key, entry);
    return entry;
  }

  private layoutFor(id: string, s: BindingSignature): GPUBindGroupLayout {
    let layout = this.layouts.get(id);
    if (layout) return layout;
    const entries: GPUBindGroupLayoutEntry[] = [];
    const visibility = this.storageStage;
    if (s.uniforms) entries.push({ binding: 0, visibility, buffer: { type: 'uniform' } });
    for (let i = 0; i < s.inputs; i++) entries.push({ binding: entries.length, visibility, buffer: { type: 'read-only-storage' } });
    for (let i = 0; i < s.outputs + (s.status ? 1 : 0); i++) entries.push({ binding: entries.length, visibility, buffer: { type: 'storage' } });
    layout = this.device.createBindGroupLayout({ entries, label: id });
    this.layouts.set(id, layout);
    return layout;
  }

  clear(): void {
    this.pipelines.clear();
    this.layouts.clear();
  }
}

function layoutIdOf(s: BindingSignature): string {
  return `${s.uniforms ? 'u' : ''}${s.inputs}i${s.outputs}o${s.status ? 's' : ''}`;
}
