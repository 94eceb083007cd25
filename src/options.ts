// Options objects (`new SGD(model, {learningRate: 0.1})`) are checked for keys the callee
// does not know: a misspelt `learningrate` would otherwise be ignored in silence and the
// default used. Every public constructor or function that takes an options object calls
// `checkOptions` first, with the names it accepts; the error names the callee, the
// unknown key (and the accepted key it most likely meant) and lists the accepted ones.

import { TensorLoopError } from './errors.js';

/**
 * Throws a TensorLoopError when `options` is not an object, or has a key outside
 * `accepted`. `undefined` (no options given) passes. Returns `options` unchanged, so
 * it reads well in a destructuring:
 *   const { learningRate = 0.01, momentum = 0 } = checkOptions('SGD', options, ['learningRate', 'momentum']);
 */
export function checkOptions<T>(owner: string, options: T, accepted: readonly (keyof NonNullable<T> & string)[]): T {
  if (options === undefined) return options;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TensorLoopError(`${owner}: options must be an object {${accepted.join(', ')}}, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if ((accepted as readonly string[]).includes(key)) continue;
    const guess = closestName(key, accepted);
    throw new TensorLoopError(
      `${owner}: unknown option '${key}'${guess ? ` (did you mean '${guess}'?)` : ''}; ` +
        (accepted.length > 0 ? `the accepted options are ${accepted.join(', ')}` : 'it takes no options'),
    );
  }
  return options;
}

/** checkOptions for a callee that cannot do without its options (`new GPT({...})`):
 * `undefined` is an error too, naming the accepted keys. */
export function checkRequiredOptions<T>(owner: string, options: T, accepted: readonly (keyof NonNullable<T> & string)[]): NonNullable<T> {
  if (options === undefined) throw new TensorLoopError(`${owner}: options {${accepted.join(', ')}} are required`);
  return checkOptions(owner, options, accepted) as NonNullable<T>;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** The accepted name equal ignoring case, or within edit distance 2 of `key`. */
function closestName(key: string, accepted: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameLetters = accepted.find((name) => name.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of accepted) {
    const d = editDistance(lower, name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}
