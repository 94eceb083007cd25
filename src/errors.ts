// The one error class of tensorloop. Every message names the op (or layer) and the
// shapes or values that are wrong, e.g. `matmul: inner dimensions differ: [2,3] @ [4,5]`.

export class TensorLoopError extends Error {
  override name = 'TensorLoopError';
}

/** Formats a shape the way every error message shows it: `[2,3]`. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Shows any argument in an error message: `null`, `"ab"`, `[2,"2"]`, `a function`, `a Map`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && value.constructor !== Object) {
    return `a ${value.constructor?.name ?? 'object'}`;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
