// Column sums: y[k] = Σ_r x[r, k] for x viewed as [rows, columns] — a sum over leading axes,
// such as a bias gradient (dy [N, H, W, C] summed to [C]) or any broadcast gradient summed
// back to a trailing shape. Read in place, column by column, instead of transposing the
// reduced axes last for the row reduction of reduce.ts (a full copy of x).

import type { Tensor } from '../tensor.js';
import { u32 } from '../device/uniforms.js';
import type { WebGpuStorage } from '../device/webgpu.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';
import { sumColumnsWasm } from './wasm/sum-columns.js';
import { ELEMENTWISE_MAIN, elementWorkgroups, gpuDevice, gpuOutput, isSoftwareAdapter, withScratch } from './wgsl.js';

/** Rows one first-pass invocation sums: long enough that the second pass is small, short
 * enough that there are invocations for every thread (x [100352, 6] gives 2,352). */
const ROWS_PER_CHUNK = 256;
/** First-pass invocations below which chunks shrink to make more (a software adapter runs
 * a workgroup per CPU thread at a time; a GPU wants thousands). */
const MIN_INVOCATIONS = { software: 512, gpu: 16384 };

export const sumColumnsKernel: Kernel<(x: Tensor, rows: number, columns: number) => Tensor> = {
  name: 'sumColumns',
  wasm: sumColumnsWasm,
  cpu(x, rows, columns) {
    const X = cpuData(x) as Float32Array;
    const acc = new Float64Array(columns);
    for (let r = 0; r < rows; r++) {
      const base = r * columns;
      for (let k = 0; k < columns; k++) acc[k]! += X[base + k]!;
    }
    return cpuTensor(Float32Array.from(acc), [columns]);
  },
  webgpu(x, rows, columns) {
    const device = gpuDevice(x);
    const y = gpuOutput(device, [columns], 'float32');
    if (columns === 0) return y;
    const vectorWidth = columns % 4 === 0 && rows > 0 ? 4 : 1; // an empty x is a 4-byte binding: no vec4
    const minInvocations = isSoftwareAdapter(device.adapterInfo) ? MIN_INVOCATIONS.software : MIN_INVOCATIONS.gpu;
    const lanes = columns / vectorWidth;
    const wanted = Math.ceil(minInvocations / lanes);
    const chunk = Math.max(8, Math.min(ROWS_PER_CHUNK, Math.ceil(rows / wanted)));
    const chunks = Math.ceil(rows / chunk);
    const pass = (input: WebGpuStorage, output: WebGpuStorage, passRows: number, passChunk: number, passChunks: number) =>
      device.dispatch({
        key: `sumColumns/vec${vectorWidth}`,
        wgsl: () => sumColumnsWgsl(vectorWidth),
        inputs: [input],
        outputs: [output],
        uniforms: [u32(passChunks * lanes), u32(lanes), u32(passRows), u32(passChunk)],
        workgroups: elementWorkgroups(passChunks * lanes),
      });
    if (chunks <= 1) {
      pass(x.storage as WebGpuStorage, y.storage as WebGpuStorage, rows, rows, 1);
      return y;
    }
    withScratch(device, [{ dtype: 'float32', size: chunks * columns }], (partial) => {
      pass(x.storage as WebGpuStorage, partial, rows, chunk, chunks);
      pass(partial, y.storage as WebGpuStorage, chunks, chunks, 1);
    });
    return y;
  },
};

// One invocation sums one column (a vec4 of 4 columns when the column count is a multiple
// of 4) over one chunk of rows, in row order (deterministic), and writes partial[chunk, k].
// Neighbouring invocations read neighbouring columns of the same row.
function sumColumnsWgsl(vectorWidth: 1 | 4): string {
  const T = vectorWidth === 4 ? 'vec4<f32>' : 'f32';
  return /* wgsl */ `
struct Uniforms { size: u32, lanes: u32, rows: u32, chunk: u32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> x: array<${T}>;
@group(0) @binding(2) var<storage, read_write> partial: array<${T}>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  let lane = index % u.lanes;
  let first = (index / u.lanes) * u.chunk;
  let last = min(first + u.chunk, u.rows);
  var acc = ${T}(0.0);
  for (var r = first; r < last; r++) { acc += x[r * u.lanes + lane]; }
  partial[index] = acc;
}`;
}
