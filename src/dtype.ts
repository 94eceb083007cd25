// Element types. float32 is the default; int32 holds class labels and indices.

export type DType = 'float32' | 'int32';
export type TypedArray = Float32Array | Int32Array;


export function typedArrayFor(dtype: DType, size: number): TypedArray {
  return dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
}

export function isTypedArray(x: unknown): x is TypedArray {
  return x instanceof Float32Array || x instanceof Int32Array;
}
