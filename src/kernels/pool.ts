// 2-D max and average pooling over NHWC windows, and their gradients. The geometry is a
// Conv2DInfo with inC = outC = channels (pooling is a per-channel "convolution").

import { i32, u32 } from '../device/uniforms.js';
import { Tensor } from '../tensor.js';
import { type Conv2DInfo, forEachWindowTap } from './conv.js';
import { type Kernel, cpuData, cpuTensor } from './kernel.js';
import { maxPoolBackwardWasm, maxPoolWasm } from './wasm/pool.js';
import { ELEMENTWISE_MAIN, elementWorkgroups, gpuDevice, gpuOutput } from './wgsl.js';
import { WGSL_IEEE } from './ieee.js';

export type PoolOp = 'max' | 'avg';

/** Calls visit(inputIndex) for each in-bounds element of the window of output (n, oh, ow)
 * at channel 0; the caller adds the channel. (Padding positions are skipped, not read.) */
function forEachInWindow(g: Conv2DInfo, n: number, oh: number, ow: number, visit: (xBase: number) => void): void {
  forEachWindowTap(g, n, oh, ow, (_tap, input) => visit(input));
}

/** y[n, oh, ow, c] = max (or mean) of x over the window's in-bounds elements (padding is
 * ignored, not counted as zeros). The max of a window holding NaN is NaN. */
export const pool2dKernel: Kernel<(op: PoolOp, x: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'pool2d',
  wasm: (op, x, g) => (op === 'max' ? maxPoolWasm(x, g) : null),
  cpu(op, x, g) {
    const X = cpuData(x) as Float32Array;
    const C = g.inC;
    const Y = new Float32Array(g.batch * g.outH * g.outW * C);
    const acc = new Float32Array(C); // float32 sums, as PyTorch and the GPU (MAX + MAX overflows)
    for (let n = 0; n < g.batch; n++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          acc.fill(op === 'max' ? -Infinity : 0);
          let count = 0;
          forEachInWindow(g, n, oh, ow, (xBase) => {
            count++;
            for (let c = 0; c < C; c++) acc[c] = op === 'max' ? Math.max(acc[c]!, X[xBase + c]!) : acc[c]! + X[xBase + c]!;
          });
          const yBase = ((n * g.outH + oh) * g.outW + ow) * C;
          for (let c = 0; c < C; c++) Y[yBase + c] = op === 'max' ? acc[c]! : acc[c]! / Math.max(count, 1);
        }
      }
    }
    return cpuTensor(Y, [g.batch, g.outH, g.outW, C]);
  },
  webgpu(op, x, g) {
    const device = gpuDevice(x);
    const y = gpuOutput(device, [g.batch, g.outH, g.outW, g.inC], 'float32');
    device.dispatch({
      key: `pool2d/${op}`,
      wgsl: () => pool2dWgsl(op),
      inputs: [x.storage],
      outputs: [y.storage],
      uniforms: poolUniforms(y.size, g),
      workgroups: elementWorkgroups(y.size),
    });
    return y;
  },
};

/** dx: max pooling sends dy[n, oh, ow, c] to the window's first maximum (its first NaN,
 * when it holds one: the NaN is the maximum, as in PyTorch); average pooling shares it
 * equally among the window's in-bounds elements. */
export const pool2dBackwardKernel: Kernel<(op: PoolOp, dy: Tensor, x: Tensor, info: Conv2DInfo) => Tensor> = {
  name: 'pool2dBackward',
  wasm: (op, dy, x, g) => (op === 'max' ? maxPoolBackwardWasm(dy, x, g) : null),
  cpu(op, dy, x, g) {
    const X = cpuData(x) as Float32Array;
    const DY = cpuData(dy) as Float32Array;
    const C = g.inC;
    const DX = new Float32Array(x.size);
    const best = new Float32Array(C);
    const at = new Int32Array(C);
    for (let n = 0; n < g.batch; n++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          const yBase = ((n * g.outH + oh) * g.outW + ow) * C;
          if (op === 'max') {
            best.fill(-Infinity);
            at.fill(-1);
            forEachInWindow(g, n, oh, ow, (xBase) => {
              for (let c = 0; c < C; c++) {
                const v = X[xBase + c]!;
                if (at[c] === -1 || (!Number.isNaN(best[c]!) && (Number.isNaN(v) || v > best[c]!))) {
                  best[c] = v;
                  at[c] = xBase + c;
                }
              }
            });
            for (let c = 0; c < C; c++) if (at[c]! >= 0) DX[at[c]!]! += DY[yBase + c]!;
          } else {
            let count = 0;
            forEachInWindow(g, n, oh, ow, () => count++);
            forEachInWindow(g, n, oh, ow, (xBase) => {
              for (let c = 0; c < C; c++) DX[xBase + c]! += DY[yBase + c]! / count;
            });
          }
        }
      }
    }
    return cpuTensor(DX, x.shape);
  },
  webgpu(op, dy, x, g) {
    const device = gpuDevice(x);
    if (windowsAreDisjoint(g)) {
      // Each input element is in at most one window: one invocation per window writes its
      // taps. Elements in no window (gaps, a cut-off edge) start at zero.
      const covered = windowsCoverInput(g);
      const dx = new Tensor([...x.shape], 'float32', device, covered ? device.empty('float32', x.size) : device.allocate('float32', x.size));
      device.dispatch({
        key: `pool2dBackward/${op}/windows`,
        wgsl: () => pool2dBackwardByWindowWgsl(op),
        inputs: [dy.storage, x.storage],
        outputs: [dx.storage],
        uniforms: poolUniforms(dy.size, g),
        workgroups: elementWorkgroups(dy.size),
      });
      return dx;
    }
    const dx = gpuOutput(device, x.shape, 'float32');
    device.dispatch({
      key: `pool2dBackward/${op}`,
      wgsl: () => pool2dBackwardWgsl(op),
      inputs: [dy.storage, x.storage],
      outputs: [dx.storage],
      uniforms: poolUniforms(dx.size, g),
      workgroups: elementWorkgroups(dx.size),
    });
    return dx;
  },
};

/** Windows that never share an input element: the stride is at least the window's extent. */
function windowsAreDisjoint(g: Conv2DInfo): boolean {
  return g.strideH >= (g.kH - 1) * g.dilationH + 1 && g.strideW >= (g.kW - 1) * g.dilationW + 1;
}

/** Disjoint windows that also leave no input element out: contiguous taps, back to back,
 * the last window reaching the input's end. */
function windowsCoverInput(g: Conv2DInfo): boolean {
  const covers = (k: number, dilation: number, stride: number, out: number, pad: number, size: number) =>
    dilation === 1 && stride === k && (out - 1) * stride - pad + k >= size;
  return covers(g.kH, g.dilationH, g.strideH, g.outH, g.padTop, g.inH) && covers(g.kW, g.dilationW, g.strideW, g.outW, g.padLeft, g.inW);
}

// ------------------------------------------------------------------ WGSL

function poolUniforms(size: number, g: Conv2DInfo) {
  return [
    ...[size, g.inH, g.inW, g.inC, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.dilationH, g.dilationW].map(u32),
    i32(g.padTop),
    i32(g.padLeft),
  ];
}

const POOL_HEADER = /* wgsl */ `
struct Uniforms { size: u32, inH: u32, inW: u32, C: u32, outH: u32, outW: u32, kH: u32, kW: u32,
  strideH: u32, strideW: u32, dilationH: u32, dilationW: u32, padTop: i32, padLeft: i32 }
@group(0) @binding(0) var<uniform> u: Uniforms;
// The window of output (n, oh, ow) at channel c: image, channel and top-left corner (which
// may lie in the padding). tapIndex gives one tap's index in x; callers scan taps in the
// CPU's order (kh, then kw).
struct Window { start: vec2<i32>, n: u32, c: u32 }
fn windowOf(n: u32, oh: u32, ow: u32, c: u32) -> Window {
  return Window(vec2<i32>(i32(oh * u.strideH) - u.padTop, i32(ow * u.strideW) - u.padLeft), n, c);
}
fn tapIndex(w: Window, kh: u32, kw: u32) -> i32 { // -1 when the tap is in the padding
  let ih = w.start.x + i32(kh * u.dilationH); let iw = w.start.y + i32(kw * u.dilationW);
  if (ih < 0 || iw < 0 || ih >= i32(u.inH) || iw >= i32(u.inW)) { return -1; }
  return i32(((w.n * u.inH + u32(ih)) * u.inW + u32(iw)) * u.C + w.c);
}
${WGSL_IEEE}`;

// What both gradient kernels ask of a window, over the `x` they bind: the index of its first
// maximum (a NaN tap is the maximum, as on the CPU; -1 when every tap is padding), and how many
// of its taps lie inside the image.
const POOL_BACKWARD_HELPERS = /* wgsl */ `
fn firstMaxTap(w: Window) -> i32 {
  var at = -1; var bestValue = 0.0;
  for (var kh = 0u; kh < u.kH; kh++) {
    for (var kw = 0u; kw < u.kW; kw++) {
      let j = tapIndex(w, kh, kw);
      if (j >= 0 && (at < 0 || (!isNan(bestValue) && (isNan(x[j]) || x[j] > bestValue)))) { at = j; bestValue = x[j]; }
    }
  }
  return at;
}
fn inBoundsTaps(w: Window) -> u32 {
  var count = 0u;
  for (var kh = 0u; kh < u.kH; kh++) {
    for (var kw = 0u; kw < u.kW; kw++) { if (tapIndex(w, kh, kw) >= 0) { count++; } }
  }
  return count;
}`;

// One invocation computes one output element y[n, oh, ow, c]: the max (or mean) over the
// in-bounds taps of its window (maxNan: a NaN tap makes the max NaN).
function pool2dWgsl(op: PoolOp): string {
  return /* wgsl */ `${POOL_HEADER}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  let c = index % u.C; let ow = (index / u.C) % u.outW; let oh = (index / (u.C * u.outW)) % u.outH;
  let w = windowOf(index / (u.C * u.outW * u.outH), oh, ow, c);
  var acc = 0.0;
  var count = 0u;
  for (var kh = 0u; kh < u.kH; kh++) {
    for (var kw = 0u; kw < u.kW; kw++) {
      let i = tapIndex(w, kh, kw);
      if (i >= 0) { ${op === 'max' ? 'acc = select(maxNan(acc, x[i]), x[i], count == 0u);' : 'acc += x[i];'} count++; }
    }
  }
  y[index] = ${op === 'max' ? 'select(acc, infinity(true), count == 0u)' : 'acc / f32(max(count, 1u))'}; // an empty window's max is -Inf, as on the CPU
}`;
}

// Disjoint windows (stride ≥ window): one invocation per window, i.e. per dy[n, oh, ow, c],
// writes every in-bounds tap of its window: max pooling dy at the window's first maximum
// (a NaN tap is the maximum, as the CPU) and 0 at the other taps; average pooling
// dy / (the in-bounds count) at each. No two invocations write the same element. (The
// maximum's dy is stored after the zeros, not chosen per tap by a select: with the select,
// Mesa's llvmpipe took 44 s to compile this shader, 0.1 s without.)
function pool2dBackwardByWindowWgsl(op: PoolOp): string {
  const body =
    op === 'max'
      ? /* wgsl */ `
  let at = firstMaxTap(w);
  for (var kh = 0u; kh < u.kH; kh++) {
    for (var kw = 0u; kw < u.kW; kw++) {
      let j = tapIndex(w, kh, kw);
      if (j >= 0 && j != at) { dx[j] = 0.0; }
    }
  }
  if (at >= 0) { dx[at] = g; }`
      : /* wgsl */ `
  let share = g / f32(inBoundsTaps(w));
  for (var kh = 0u; kh < u.kH; kh++) {
    for (var kw = 0u; kw < u.kW; kw++) {
      let j = tapIndex(w, kh, kw);
      if (j >= 0) { dx[j] = share; }
    }
  }`;
  return /* wgsl */ `${POOL_HEADER}${POOL_BACKWARD_HELPERS}
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  let c = index % u.C; let ow = (index / u.C) % u.outW; let oh = (index / (u.C * u.outW)) % u.outH;
  let w = windowOf(index / (u.C * u.outW * u.outH), oh, ow, c);
  let g = dy[index] + 0.0; // −0 becomes +0, as in the CPU's sum into zeros${body}
}`;
}

// Overlapping windows: one invocation computes one input-gradient element dx[n, ih, iw, c] by gathering from the
// outputs whose windows contain (ih, iw) (no atomics, so the sum is deterministic): tap
// (kh, kw) of output (oh, ow) lands here when oh·strideH − padTop + kh·dilationH = ih. Max
// pooling takes dy only where this element is its window's first maximum (as the CPU);
// average pooling takes dy / (the window's in-bounds count).
function pool2dBackwardWgsl(op: PoolOp): string {
  const body =
    op === 'max'
      ? /* wgsl */ `
        if (firstMaxTap(w) == i32(index)) { acc += dy[o]; }`
      : /* wgsl */ `
        acc += dy[o] / f32(inBoundsTaps(w));`;
  return /* wgsl */ `${POOL_HEADER}${POOL_BACKWARD_HELPERS}
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
${ELEMENTWISE_MAIN}
  if (index >= u.size) { return; }
  let c = index % u.C; let iw = i32((index / u.C) % u.inW); let ih = i32((index / (u.C * u.inW)) % u.inH);
  let n = index / (u.C * u.inW * u.inH);
  var acc = 0.0;
  for (var kh = 0u; kh < u.kH; kh++) {
    let th = ih + u.padTop - i32(kh * u.dilationH);
    if (th < 0 || u32(th) % u.strideH != 0u || u32(th) / u.strideH >= u.outH) { continue; }
    let oh = u32(th) / u.strideH;
    for (var kw = 0u; kw < u.kW; kw++) {
      let tw = iw + u.padLeft - i32(kw * u.dilationW);
      if (tw < 0 || u32(tw) % u.strideW != 0u || u32(tw) / u.strideW >= u.outW) { continue; }
      let ow = u32(tw) / u.strideW;
      let w = windowOf(n, oh, ow, c);
      let o = ((n * u.outH + oh) * u.outW + ow) * u.C + c;${body}
    }
  }
  dx[index] = acc;
}`;
}
