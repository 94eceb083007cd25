// The WGSL of tensorloop's main kernel variants, as the generators write it, checked in
// under docs/shaders/ so a reader sees the real shader next to the code that writes it and
// a change to a generator shows up in review (test/docs/shader-snapshots.test.ts fails
// until the snapshots are regenerated).
//
//   npm run shaders        rewrites docs/shaders/*.wgsl and docs/shaders/README.md
//
// It runs each variant once on a fresh WebGPU device and records the shaders that device
// builds (src/device/shader-debug.ts), so the snapshots are exactly what runs. Shapes are
// LeNet's where a kernel has several variants (its convolutions, a 10-class head).

import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describeShader, onShaderBuilt } from '../src/device/shader-debug.js';
import { type WebGpuDevice, requestWebGpuDevice } from '../src/device/webgpu.js';
import type { Conv2DInfo } from '../src/kernels/conv.js';
import { conv2dBackpropFilterWebgpu, conv2dBackpropInputWebgpu, conv2dWebgpu } from '../src/kernels/conv.js';
import { matmulWebgpu } from '../src/kernels/matmul.js';
import { tidy } from '../src/memory.js';
import { relu } from '../src/ops/elementwise.js';
import { sum } from '../src/ops/reduce.js';
import { type Tensor, randn } from '../src/tensor.js';

export const SHADER_DIR = fileURLToPath(new URL('../docs/shaders/', import.meta.url));

/** LeNet's second convolution: [N, 12, 12, 6] → 5×5 filters → [N, 8, 8, 16]. */
const CONV: Conv2DInfo = { batch: 2, inH: 12, inW: 12, inC: 6, outH: 8, outW: 8, outC: 16, kH: 5, kW: 5, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0 };

interface Variant {
  /** What the snapshot shows, for the README. */
  title: string;
  /** The file that generates it. */
  source: string;
  run: (device: WebGpuDevice, input: (shape: number[]) => Tensor) => Tensor;
}

export const VARIANTS: Variant[] = [
  {
    title: 'matmul, blocked schedule (software adapters): each invocation keeps a block of outputs in registers',
    source: 'src/kernels/gemm.ts (blockedWgsl) with the reads of src/kernels/matmul.ts',
    run: (_d, input) => matmulWebgpu(input([64, 64]), input([64, 64]), { batch: 1, m: 64, n: 64, k: 64, transposeA: false, transposeB: false }, 'blocked'),
  },
  {
    title: 'matmul, subgroup schedule (software adapters with 8-lane subgroups): lanes own columns and share rows of A by subgroupBroadcast',
    source: 'src/kernels/gemm-subgroup.ts (subgroupWgsl) with the reads of src/kernels/matmul.ts',
    run: (_d, input) => matmulWebgpu(input([64, 64]), input([64, 64]), { batch: 1, m: 64, n: 64, k: 64, transposeA: false, transposeB: false }, 'subgroup'),
  },
  {
    title: 'matmul, subgroup schedule with vec4 reads (big products, sizes divisible by 4): the MLP\'s layers',
    source: 'src/kernels/gemm-subgroup.ts (subgroupVec4Wgsl) with the vec4 reads of src/kernels/matmul.ts',
    run: (_d, input) => matmulWebgpu(input([128, 256]), input([256, 512]), { batch: 1, m: 128, n: 512, k: 256, transposeA: false, transposeB: false }, 'subgroup'),
  },
  {
    title: 'conv2d forward, subgroup schedule for a narrow output (LeNet conv2): lanes own rows and share columns of the filter',
    source: 'src/kernels/conv.ts (CONV_FORWARD) in src/kernels/gemm-subgroup.ts (subgroupWgsl)',
    run: (_d, input) => conv2dWebgpu(input([2, 12, 12, 6]), input([5, 5, 6, 16]), CONV, 'subgroup'),
  },
  {
    title: 'matmul, tiled schedule (GPUs): tiles of A and B staged in workgroup memory',
    source: 'src/kernels/gemm.ts (tiledWgsl) with the reads of src/kernels/matmul.ts',
    run: (_d, input) => matmulWebgpu(input([64, 64]), input([64, 64]), { batch: 1, m: 64, n: 64, k: 64, transposeA: false, transposeB: false }, 'tiled'),
  },
  {
    title: 'conv2d forward as an implicit GEMM (LeNet conv2, blocked)',
    source: 'src/kernels/conv.ts (CONV_FORWARD) in src/kernels/gemm.ts',
    run: (_d, input) => conv2dWebgpu(input([2, 12, 12, 6]), input([5, 5, 6, 16]), CONV, 'blocked'),
  },
  {
    title: 'conv2d input gradient (LeNet conv2, blocked)',
    source: 'src/kernels/conv.ts (CONV_BACKPROP_INPUT) in src/kernels/gemm.ts',
    run: (_d, input) => conv2dBackpropInputWebgpu(input([2, 8, 8, 16]), input([5, 5, 6, 16]), CONV, 'blocked'),
  },
  {
    title: 'conv2d filter gradient (LeNet conv2, blocked)',
    source: 'src/kernels/conv.ts (CONV_BACKPROP_FILTER) in src/kernels/gemm.ts',
    run: (_d, input) => conv2dBackpropFilterWebgpu(input([2, 12, 12, 6]), input([2, 8, 8, 16]), CONV, 'blocked'),
  },
  {
    title: 'a reduction: sum over rows of 1024, one workgroup tree per row, vec4 reads',
    source: 'src/kernels/reduce.ts (reduceWgsl)',
    run: (_d, input) => sum(input([4, 1024]), 1),
  },
  {
    title: 'an elementwise map: relu, four vec4s per invocation',
    source: 'src/kernels/elementwise.ts (unaryWgsl)',
    run: (_d, input) => relu(input([1024])),
  },
];

/** The snapshot files (name → contents) for every variant, built on `device`, which must
 * be fresh (a pipeline built before is not reported again). */
export async function generateShaderSnapshots(device: WebGpuDevice): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const index: string[] = [];
  for (const variant of VARIANTS) {
    const built: [string, string][] = [];
    const stop = onShaderBuilt((key, wgsl) => built.push([key, wgsl]));
    try {
      tidy(() => void variant.run(device, (shape) => randn(shape, { seed: 1, device })));
      await device.synchronize();
    } finally {
      stop();
    }
    for (const [key, wgsl] of built) {
      if (key.startsWith('randn') || key.startsWith('random')) continue; // the inputs' generator
      const name = `${key.replaceAll('/', '.')}.wgsl`;
      files.set(name, describeShader(key, wgsl));
      index.push(`| [${name}](${name}) | ${variant.title} | ${variant.source} |`);
    }
  }
  files.set(
    'README.md',
    [
      '# Generated WGSL of the main kernel variants',
      '',
      'Each file is one shader exactly as tensorloop builds it (first line: kernel and variant).',
      'Do not edit them: regenerate with `npm run shaders` after changing a generator; the test',
      '`test/docs/shader-snapshots.test.ts` fails while they differ. To see every shader a program',
      'builds, run it with `TENSORLOOP_DEBUG=shaders`.',
      '',
      '| file | what | generated by |',
      '| --- | --- | --- |',
      ...index,
      '',
    ].join('\n'),
  );
  return files;
}

async function main(): Promise<void> {
  const device = await requestWebGpuDevice();
  try {
    const files = await generateShaderSnapshots(device);
    await mkdir(SHADER_DIR, { recursive: true });
    for (const old of await readdir(SHADER_DIR)) if (!files.has(old)) await rm(SHADER_DIR + old);
    for (const [name, text] of files) await writeFile(SHADER_DIR + name, text);
    console.log(`wrote ${files.size} files to docs/shaders/`);
  } finally {
    device.dispose();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
