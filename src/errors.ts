// The one error class of tensorloop. Every message names the op (or layer) and the
// shapes or values that are wrong, e.g. `matmul: inner dimensions differ: [2,3] @ [4,5]`.

export class TensorLoopError extends Error {
  override name = 'TensorLoopError';
}

/** Formats a shape the way every error message shows it: `[2,3]`. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
