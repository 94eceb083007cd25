// The patch matrix of a convolution (im2col) and its transpose (col2im) in WebAssembly, for
// conv.ts: row (n, oh, ow) of the matrix holds the input pixels the window of output pixel
// (n, oh, ow) reads, tap by tap (kh, kw), all inC channels each:
//   gather   patches[row, (kh, kw, c)] = x[n, ih, iw, c], or 0 where (ih, iw) is padding
//   scatter  dx[n, ih, iw, c] += patches[row, (kh, kw, c)] for the in-bounds taps
// with ih = oh·strideH − padTop + kh·dilationH (iw alike). Scatter adds in f32 in row and tap
// order, as the reference's col2im, so the sums are the same.

import { FunctionBuilder, type Local, forRange } from '../../device/wasm/module-builder.js';
import type { Conv2DInfo } from '../conv.js';

export type PatchDirection = 'gather' | 'scatter';

// One invocation of `patches_<direction>(x, patches, batch, inH, inW, inC, outH, outW, kH,
// kW, strideH, strideW, padTop, padLeft, dilationH, dilationW)` walks every (n, oh, ow, kh,
// kw) in order, the patch pointer moving inC floats per tap.
function patchesFunction(direction: PatchDirection): FunctionBuilder {
  const f = new FunctionBuilder(`patches_${direction}`, new Array(16).fill('i32'));
  const [x, patches, batch, inH, inW, inC, outH, outW, kH, kW, strideH, strideW, padTop, padLeft, dilationH, dilationW] = f.params as Local[] as Local[] & { length: 16 };
  const [n, oh, ow, kh, kw, c, ih, iw, src] = Array.from({ length: 9 }, () => f.local('i32'));
  forRange(f, n!, 0, batch!, () =>
    forRange(f, oh!, 0, outH!, () =>
      forRange(f, ow!, 0, outW!, () =>
        forRange(f, kh!, 0, kH!, () => {
          // ih = oh·strideH − padTop + kh·dilationH (negative reads as huge: out of bounds)
          f.localGet(oh!).localGet(strideH!).i32Mul().localGet(padTop!).i32Sub().localGet(kh!).localGet(dilationH!).i32Mul().i32Add().localSet(ih!);
          forRange(f, kw!, 0, kW!, () => {
            f.localGet(ow!).localGet(strideW!).i32Mul().localGet(padLeft!).i32Sub().localGet(kw!).localGet(dilationW!).i32Mul().i32Add().localSet(iw!);
            f.localGet(ih!).localGet(inH!).i32LtU().localGet(iw!).localGet(inW!).i32LtU().i32And().if();
            // src = x + ((n·inH + ih)·inW + iw)·inC·4
            f.localGet(x!).localGet(n!).localGet(inH!).i32Mul().localGet(ih!).i32Add().localGet(inW!).i32Mul().localGet(iw!).i32Add().localGet(inC!).i32Mul().i32Const(4).i32Mul().i32Add().localSet(src!);
            forRange(f, c!, 0, inC!, () => {
              if (direction === 'gather') {
                f.localGet(patches!).localGet(c!).i32Const(4).i32Mul().i32Add();
                f.localGet(src!).localGet(c!).i32Const(4).i32Mul().i32Add().f32Load().f32Store();
              } else {
                f.localGet(src!).localGet(c!).i32Const(4).i32Mul().i32Add();
                f.localGet(src!).localGet(c!).i32Const(4).i32Mul().i32Add().f32Load();
                f.localGet(patches!).localGet(c!).i32Const(4).i32Mul().i32Add().f32Load().f32Add().f32Store();
              }
            });
            if (direction === 'gather') {
              f.else(); // padding: zeros
              forRange(f, c!, 0, inC!, () => f.localGet(patches!).localGet(c!).i32Const(4).i32Mul().i32Add().f32Const(0).f32Store());
            }
            f.end();
            f.localGet(patches!).localGet(inC!).i32Const(4).i32Mul().i32Add().localSet(patches!);
          });
        }),
      ),
    ),
  );
  return f;
}

export function patchesFunctions(): FunctionBuilder[] {
  return [patchesFunction('gather'), patchesFunction('scatter')];
}

/** The arguments of patches_<direction> after x and patches. */
export function patchArguments(g: Conv2DInfo): number[] {
  return [g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW];
}
