// The WebGPU matmul against the CPU reference: every GEMM schedule the adapter can run, odd
// sizes, every transpose combination, a batch shared by one operand, split-K, a grid past
// 65,535 workgroups, past 2²⁴ outputs, and gradients through the op. Runs only with an adapter.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GEMM_VARIANTS, gemmVariantFor, hasSubgroupSchedule, isSoftwareAdapter } from '../../src/kernels/gemm.js';
import { usesVec4 } from '../../src/kernels/gemm-subgroup.js';
import { type MatmulInfo, matmulKernel, matmulSpec, matmulWebgpu } from '../../src/kernels/matmul.js';
import { matmul } from '../../src/ops/index.js';
import type { Tensor } from '../../src/tensor.js';
import { testWebGpu } from '../helpers/devices.js';
import { assertGradientsMatchCpu, assertMatchesCpu } from './kernels-support.js';

const gpu = await testWebGpu();

test('software adapters are recognized by their adapter info', () => {
  const info = (vendor: string, architecture: string, device: string, description: string) => ({ vendor, architecture, device, description });
  assert.ok(isSoftwareAdapter(info('mesa', 'software', 'llvmpipe-llvm-15-0-6-256-bits-', 'llvmpipe: Mesa 25.0.7')));
  assert.ok(isSoftwareAdapter(info('google', '', 'SwiftShader Device (Subzero)', '')));
  assert.not.ok(isSoftwareAdapter(info('nvidia', 'hopper', '', 'NVIDIA H100 80GB HBM3')));
  assert.not.ok(isSoftwareAdapter(info('apple', 'metal-3', '', 'Apple M2')));
});

// [batchA, batchB, m, n, k, transposeA, transposeB]
const CASES: [number, number, number, number, number, boolean, boolean][] = [
  [1, 1, 1, 1, 1, false, false],
  [1, 1, 3, 17, 33, false, false],
  [1, 1, 127, 33, 17, false, false],
  [1, 1, 65, 70, 3, true, false],
  [1, 1, 33, 127, 17, false, true],
  [1, 1, 17, 3, 127, true, true],
  [3, 1, 17, 33, 5, false, false], // B shared by the batch
  [1, 3, 5, 17, 33, true, true], // A shared by the batch
  [2, 2, 64, 64, 16, false, false], // exactly one tiled tile
  [1, 1, 5, 3, 2000, false, false], // few outputs, long K: split-K, two passes
  [2, 1, 17, 33, 1537, true, true], // split-K with an uneven last slice
];

if (gpu) {
  test(`the adapter rule picks [${gemmVariantFor(gpu)}] on ${gpu.name}`, () => {
    const software = hasSubgroupSchedule(gpu) ? 'subgroup' : 'blocked';
    assert.is(gemmVariantFor(gpu), isSoftwareAdapter(gpu.adapterInfo) ? software : 'tiled');
  });

  // The subgroup schedule needs subgroups of exactly 8 lanes; say so where it cannot run.
  if (!hasSubgroupSchedule(gpu)) {
    test(`subgroup schedule: not run on ${gpu.name} (no fixed 8-lane subgroups)`, () => assert.not.ok(hasSubgroupSchedule(gpu)));
  }
  for (const variant of GEMM_VARIANTS.filter((v) => v !== 'subgroup' || hasSubgroupSchedule(gpu))) {
    test(`${variant}: odd sizes, transposes and shared operands match the CPU`, async () => {
      for (const [batchA, batchB, m, n, k, transposeA, transposeB] of CASES) {
        const batch = Math.max(batchA, batchB);
        const info: MatmulInfo = { batch, m, n, k, transposeA, transposeB };
        const aShape = [batchA, transposeA ? k : m, transposeA ? m : k];
        const bShape = [batchB, transposeB ? n : k, transposeB ? k : n];
        const run = (a: Tensor, b: Tensor) =>
          a.device === gpu ? matmulWebgpu(a, b, info, variant) : matmulKernel.cpu(a, b, info);
        await assertMatchesCpu(gpu, [aShape, bShape], run, { atol: 1e-4, rtol: 1e-4 }, `${variant} [${batch}] ${m}×${k}${transposeA ? 'ᵀ' : ''} @ ${k}×${n}${transposeB ? 'ᵀ' : ''}`);
      }
    });

  }

  // Products big enough for the subgroup schedule's vec4 reads (matmul's spec has them), with
  // edges that fill no whole tile, every transpose, a batch sharing B, split-K.
  if (hasSubgroupSchedule(gpu)) {
    test('subgroup: vec4 reads on big products match the CPU', async () => {
      const cases: [number, number, number, number, boolean, boolean][] = [
        [1, 130, 260, 512, false, false],
        [1, 132, 516, 256, true, false],
        [1, 129, 520, 256, false, true],
        [1, 132, 516, 256, true, true],
        [2, 68, 520, 512, false, false], // B shared by the batch
        [1, 16, 40, 32772, false, true], // 2 tiles, long K: split-K in chunks of 4·⌈…⌉
        [1, 16, 40, 32772, true, false], // the same with A read as quads of rows
      ];
      for (const [batch, m, n, k, transposeA, transposeB] of cases) {
        assert.ok(usesVec4(matmulSpec(transposeA, transposeB), m, n, k), `vec4 reads for ${m}×${k}×${n}`);
        const info: MatmulInfo = { batch, m, n, k, transposeA, transposeB };
        const aShape = [batch, transposeA ? k : m, transposeA ? m : k];
        const bShape = [1, transposeB ? n : k, transposeB ? k : n];
        const run = (a: Tensor, b: Tensor) => (a.device === gpu ? matmulWebgpu(a, b, info, 'subgroup') : matmulKernel.cpu(a, b, info));
        await assertMatchesCpu(gpu, [aShape, bShape], run, { atol: 1e-4, rtol: 1e-4 }, `subgroup vec4 [${batch}] ${m}×${k}${transposeA ? 'ᵀ' : ''} @ ${k}×${n}${transposeB ? 'ᵀ' : ''}`);
      }
    });
  }

  // Only for the adapter's own schedule: 70,000 workgroups with barriers take ~8 s on lavapipe.
  const picked = gemmVariantFor(gpu);
  test(`${picked}: a batch of 70,000 products folds its grid past 65,535 workgroups`, async () => {
    const info: MatmulInfo = { batch: 70000, m: 1, n: 2, k: 3, transposeA: false, transposeB: false };
    const run = (a: Tensor, b: Tensor) => (a.device === gpu ? matmulWebgpu(a, b, info, picked) : matmulKernel.cpu(a, b, info));
    await assertMatchesCpu(gpu, [[70000, 1, 3], [70000, 3, 2]], run, { atol: 1e-5, rtol: 1e-4 }, `${picked} batch 70000`);
  });

  test(`${picked}: an outer product of 4100 × 4100 (16.8 M outputs, past 2²⁴) matches the CPU`, async () => {
    const info: MatmulInfo = { batch: 1, m: 4100, n: 4100, k: 1, transposeA: false, transposeB: false };
    const run = (a: Tensor, b: Tensor) => (a.device === gpu ? matmulWebgpu(a, b, info, picked) : matmulKernel.cpu(a, b, info));
    await assertMatchesCpu(gpu, [[1, 4100, 1], [1, 1, 4100]], run, { atol: 1e-6, rtol: 1e-6 }, `${picked} 4100×1 @ 1×4100`);
  });

  test('matmul gradients on WebGPU equal the CPU (all transposes, broadcast batch)', async () => {
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const aShape = [2, 1, transposeA ? 17 : 5, transposeA ? 5 : 17];
      const bShape = [3, transposeB ? 7 : 17, transposeB ? 17 : 7];
      await assertGradientsMatchCpu(gpu, [aShape, bShape], (a, b) => matmul(a!, b!, { transposeA, transposeB }), { atol: 1e-4, rtol: 1e-4 }, `matmul ${transposeA}/${transposeB}`);
    }
  });
}

test.run();
