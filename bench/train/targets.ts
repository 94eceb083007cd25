// The speed targets that are not images/s: the first LeNet-5 step of a new process on
// WebGPU (with an empty and with a filled Mesa shader cache) and reading back a 16 MiB
// tensor against Dawn's own copy + mapAsync. bench/train.ts prints them under its tables.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WebGpuDevice } from '../../src/device/webgpu.js';
import { randu } from '../../src/tensor.js';

export interface FirstStep {
  milliseconds: number;
  cpuMilliseconds: number;
}

/** first-step.ts in a child process whose Mesa shader cache is `cacheDir`. */
function firstStepIn(cacheDir: string): FirstStep {
  const script = path.join(import.meta.dirname, 'first-step.ts');
  const out = execFileSync(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, MESA_SHADER_CACHE_DIR: cacheDir, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? os.tmpdir() },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as FirstStep;
}

/** The first step with an empty shader cache (cold), then with the cache it filled (warm). */
export function firstSteps(): { cold: FirstStep; warm: FirstStep } {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'tensorloop-mesa-cache-'));
  try {
    const cold = firstStepIn(cacheDir);
    const warm = firstStepIn(cacheDir);
    return { cold, warm };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** Median milliseconds to read a 16 MiB float32 tensor back: tensorloop's `data()` and
 * Dawn's copy into a mappable buffer + mapAsync + getMappedRange, round-robin. */
export async function readback(device: WebGpuDevice): Promise<{ tensorloop: number; dawn: number }> {
  const n = 4 * 1024 * 1024;
  const t = randu([n], { seed: 1, device });
  await t.data();
  const gpu = device.device;
  const source = gpu.createBuffer({ size: 4 * n, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const staging = gpu.createBuffer({ size: 4 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const dawn = async () => {
    const encoder = gpu.createCommandEncoder();
    encoder.copyBufferToBuffer(source, 0, staging, 0, 4 * n);
    gpu.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const copy = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return copy;
  };
  const times = { tensorloop: [] as number[], dawn: [] as number[] };
  for (let round = 0; round < 9; round++) {
    for (const [name, read] of [['tensorloop', () => t.data()], ['dawn', dawn]] as const) {
      const start = performance.now();
      await read();
      times[name].push(performance.now() - start);
    }
  }
  t.dispose();
  source.destroy();
  staging.destroy();
  const median = (v: number[]) => v.sort((a, b) => a - b)[v.length >> 1]!;
  return { tensorloop: median(times.tensorloop), dawn: median(times.dawn) };
}
