// A tiny WebAssembly module builder: just enough of the binary format to emit the CPU
// device's SIMD kernels from TypeScript at startup. A module here imports one memory
// (`env.memory`, shared between threads when it can be) and exports functions whose
// parameters and locals are i32, f32, f64 or v128 and which return nothing.
//
// Why a builder instead of a build step: the kernels stay readable source in this repo
// (each instruction emitted by a named helper, with a comment on what it computes), there
// is no toolchain to install and no binary to check in, and the bytes are made in memory,
// so a browser instantiates them exactly as Node does.
//
// A function body is written as a sequence of calls on a FunctionBuilder (`f.localGet(x)`,
// `f.f32x4Mul()`…), in the stack-machine order of WebAssembly's text format.

export type ValueType = 'i32' | 'f32' | 'f64' | 'v128';
const VALUE_TYPE: Record<ValueType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Unsigned LEB128, the encoding of sizes, counts and indices. */
function uleb(value: number, out: number[]): void {
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
}

/** Signed LEB128, the encoding of i32.const. */
function sleb(value: number, out: number[]): void {
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

function name(text: string, out: number[]): void {
  const bytes = new TextEncoder().encode(text);
  uleb(bytes.length, out);
  out.push(...bytes);
}

/** A local variable (parameters are locals 0 … n-1). */
export interface Local {
  readonly index: number;
  readonly type: ValueType;
}

export class FunctionBuilder {
  readonly params: Local[];
  private readonly locals: Local[] = [];
  readonly code: number[] = [];

  constructor(
    readonly name: string,
    paramTypes: ValueType[],
  ) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  local(type: ValueType): Local {
    const l = { index: this.params.length + this.locals.length, type };
    this.locals.push(l);
    return l;
  }

  /** The body with its local declarations, as the code section wants it. */
  encode(): number[] {
    const body: number[] = [];
    uleb(this.locals.length, body);
    for (const l of this.locals) {
      body.push(1, VALUE_TYPE[l.type]); // one local of this type
    }
    body.push(...this.code, 0x0b); // end
    const out: number[] = [];
    uleb(body.length, out);
    out.push(...body);
    return out;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...immediates: number[]): this {
    this.code.push(0xfd);
    uleb(opcode, this.code);
    this.code.push(...immediates);
    return this;
  }

  /** memarg: alignment exponent and constant byte offset. */
  private memarg(align: number, offset: number): number[] {
    const out = [align];
    uleb(offset, out);
    return out;
  }

  // control: block/loop/if take no values and give none (blocktype 0x40)
  block(): this { return this.op(0x02, 0x40); } // prettier-ignore
  loop(): this { return this.op(0x03, 0x40); } // prettier-ignore
  if(): this { return this.op(0x04, 0x40); } // prettier-ignore
  else(): this { return this.op(0x05); } // prettier-ignore
  end(): this { return this.op(0x0b); } // prettier-ignore
  /** Branch to the `depth`-th enclosing block (0 = innermost): a loop's start, a block's end. */
  br(depth: number): this { return this.op(0x0c, depth); } // prettier-ignore
  brIf(depth: number): this { return this.op(0x0d, depth); } // prettier-ignore

  localGet(l: Local): this { this.code.push(0x20); uleb(l.index, this.code); return this; } // prettier-ignore
  localSet(l: Local): this { this.code.push(0x21); uleb(l.index, this.code); return this; } // prettier-ignore
  localTee(l: Local): this { this.code.push(0x22); uleb(l.index, this.code); return this; } // prettier-ignore

  i32Const(value: number): this { this.code.push(0x41); sleb(value | 0, this.code); return this; } // prettier-ignore
  i32Add(): this { return this.op(0x6a); } // prettier-ignore
  i32Sub(): this { return this.op(0x6b); } // prettier-ignore
  i32Mul(): this { return this.op(0x6c); } // prettier-ignore
  i32Shl(): this { return this.op(0x74); } // prettier-ignore
  i32LtU(): this { return this.op(0x49); } // prettier-ignore
  i32GeU(): this { return this.op(0x4f); } // prettier-ignore
  i32LeU(): this { return this.op(0x4d); } // prettier-ignore
  i32GeS(): this { return this.op(0x4e); } // prettier-ignore
  i32Eq(): this { return this.op(0x46); } // prettier-ignore
  i32DivU(): this { return this.op(0x6e); } // prettier-ignore
  i32RemU(): this { return this.op(0x70); } // prettier-ignore
  i32GtU(): this { return this.op(0x4b); } // prettier-ignore
  i32And(): this { return this.op(0x71); } // prettier-ignore
  i32Or(): this { return this.op(0x72); } // prettier-ignore
  i32Eqz(): this { return this.op(0x45); } // prettier-ignore
  /** select(a, b, condition): a when condition ≠ 0, else b. */
  select(): this { return this.op(0x1b); } // prettier-ignore

  f32Const(value: number): this {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return this.op(0x43, ...bytes);
  }
  f64Const(value: number): this {
    const bytes = new Uint8Array(new Float64Array([value]).buffer);
    return this.op(0x44, ...bytes);
  }
  f32Add(): this { return this.op(0x92); } // prettier-ignore
  /** IEEE maximum: NaN if either is NaN, and −0 < +0 (as Math.max). */
  f32Max(): this { return this.op(0x97); } // prettier-ignore
  f32Eq(): this { return this.op(0x5b); } // prettier-ignore
  f32Ne(): this { return this.op(0x5c); } // prettier-ignore
  f32Gt(): this { return this.op(0x5e); } // prettier-ignore
  i32Load(offset = 0): this { return this.op(0x28, ...this.memarg(2, offset)); } // prettier-ignore
  i32Store(offset = 0): this { return this.op(0x36, ...this.memarg(2, offset)); } // prettier-ignore
  f32Load(offset = 0): this { return this.op(0x2a, ...this.memarg(2, offset)); } // prettier-ignore
  f32Store(offset = 0): this { return this.op(0x38, ...this.memarg(2, offset)); } // prettier-ignore

  v128Load(offset = 0): this { return this.simd(0x00, ...this.memarg(4, offset)); } // prettier-ignore
  v128Store(offset = 0): this { return this.simd(0x0b, ...this.memarg(4, offset)); } // prettier-ignore
  /** Loads one f32 and repeats it in all four lanes. */
  v128Load32Splat(offset = 0): this { return this.simd(0x09, ...this.memarg(2, offset)); } // prettier-ignore
  v128Zero(): this { return this.simd(0x0c, ...new Array<number>(16).fill(0)); } // prettier-ignore
  f32x4Splat(): this { return this.simd(0x13); } // prettier-ignore
  f32x4Gt(): this { return this.simd(0x44); } // prettier-ignore
  /** Lane-wise IEEE maximum, NaN propagating, −0 < +0. */
  f32x4Max(): this { return this.simd(0xe9); } // prettier-ignore
  f32x4Le(): this { return this.simd(0x45); } // prettier-ignore
  v128And(): this { return this.simd(0x4e); } // prettier-ignore
  /** bitselect(a, b, mask): a's bits where mask is 1, b's where it is 0. */
  v128Bitselect(): this { return this.simd(0x52); } // prettier-ignore
  /** Loads two f32 (8 bytes) into lanes 0–1 of an f32x4, zeroing lanes 2–3. */
  v128Load64Zero(offset = 0): this { return this.simd(0x5d, ...this.memarg(3, offset)); } // prettier-ignore
  /** Stores lanes 0–1 of an f32x4 (8 bytes). */
  v128Store64Lane0(offset = 0): this { return this.simd(0x5b, ...this.memarg(3, offset), 0); } // prettier-ignore
  f64x2Splat(): this { return this.simd(0x14); } // prettier-ignore
  /** f32 lanes 0–1 → two f64 (exact). */
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); } // prettier-ignore
  /** Two f64 → f32 lanes 0–1, rounded to nearest even (as Math.fround); lanes 2–3 zero. */
  f32x4DemoteF64x2Zero(): this { return this.simd(0x5e); } // prettier-ignore
  f64x2Add(): this { return this.simd(0xf0); } // prettier-ignore
  f64x2Sub(): this { return this.simd(0xf1); } // prettier-ignore
  f64x2Mul(): this { return this.simd(0xf2); } // prettier-ignore
  f64x2Div(): this { return this.simd(0xf3); } // prettier-ignore
  f64x2Sqrt(): this { return this.simd(0xef); } // prettier-ignore
  f32x4Add(): this { return this.simd(0xe4); } // prettier-ignore
  f32x4Sub(): this { return this.simd(0xe5); } // prettier-ignore
  f32x4Mul(): this { return this.simd(0xe6); } // prettier-ignore
  f32x4Div(): this { return this.simd(0xe7); } // prettier-ignore
}

/** Assembles functions into a module importing `env.memory` (shared when `shared`). */
export function buildModule(functions: FunctionBuilder[], memory: { initialPages: number; maximumPages: number; shared: boolean }): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // "\0asm", version 1
  const section = (id: number, body: number[]) => {
    out.push(id);
    uleb(body.length, out);
    out.push(...body);
  };
  // types: one per function (params only, no results)
  const types: number[] = [];
  uleb(functions.length, types);
  for (const f of functions) {
    types.push(0x60);
    uleb(f.params.length, types);
    for (const p of f.params) types.push(VALUE_TYPE[p.type]);
    types.push(0); // no results
  }
  section(1, types);
  // imports: env.memory
  const imports: number[] = [1];
  name('env', imports);
  name('memory', imports);
  imports.push(0x02, memory.shared ? 0x03 : 0x01); // memory; limits flags: 1 = has max, 3 = has max + shared
  uleb(memory.initialPages, imports);
  uleb(memory.maximumPages, imports);
  section(2, imports);
  // functions: function i has type i
  const declarations: number[] = [];
  uleb(functions.length, declarations);
  functions.forEach((_, i) => uleb(i, declarations));
  section(3, declarations);
  // exports: each function by its name
  const exports: number[] = [];
  uleb(functions.length, exports);
  functions.forEach((f, i) => {
    name(f.name, exports);
    exports.push(0x00);
    uleb(i, exports);
  });
  section(7, exports);
  // code
  const code: number[] = [];
  uleb(functions.length, code);
  for (const f of functions) code.push(...f.encode());
  section(10, code);
  return new Uint8Array(out);
}

/** Emits `for (i = from; i < to; i++) body()` (from and to: locals or constants). */
export function forRange(f: FunctionBuilder, i: Local, from: Local | number, to: Local | number, body: () => void): void {
  const get = (v: Local | number) => (typeof v === 'number' ? f.i32Const(v) : f.localGet(v));
  get(from);
  f.localSet(i);
  f.block().loop();
  f.localGet(i);
  get(to);
  f.i32GeU().brIf(1);
  body();
  f.localGet(i).i32Const(1).i32Add().localSet(i);
  f.br(0).end().end();
}
