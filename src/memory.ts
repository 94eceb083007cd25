// Deterministic memory management: scopes. Every tensor created while a scope is open
// belongs to it; closing the scope disposes those it does not return and that were not
// `keep`-ed. `tidy(fn)` is the usual way in. A FinalizationRegistry (in tensor.ts) is only
// a safety net for tensors nobody disposed.

import type { Tensor } from './tensor.js';

const scopes: Set<Tensor>[] = [];

/** Called by the Tensor constructor: the tensor joins the innermost open scope. */
export function trackTensor(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Marks `t` as exempt from every enclosing scope; it lives until disposed. */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  for (const scope of scopes) scope.delete(t);
  return t;
}

export function startScope(): void {
  scopes.push(new Set());
}

/** Closes the innermost scope; tensors found in `result` move to the enclosing scope. */
export function endScope(result?: unknown): void {
  const scope = scopes.pop();
  if (!scope) throw new Error('endScope: no scope is open');
  const returned = new Set<Tensor>();
  collectTensors(result, returned, 0);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (returned.has(t)) parent?.add(t);
    else if (!t.kept) t.dispose();
  }
}

/** Runs `fn` in a scope: tensors it creates and does not return are disposed after. */
export function tidy<T>(fn: () => T): T {
  startScope();
  let result: T;
  try {
    result = fn();
  } catch (error) {
    endScope();
    throw error;
  }
  if (result instanceof Promise) {
    endScope();
    throw new Error('tidy: fn returned a Promise; use tidyAsync for async work');
  }
  endScope(result);
  return result;
}

/** Like tidy, for async functions. Scopes are a stack, so do not interleave two of them. */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  startScope();
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    endScope();
    throw error;
  }
  endScope(result);
  return result;
}

function collectTensors(value: unknown, into: Set<Tensor>, depth: number): void {
  if (value == null || typeof value !== 'object' || depth > 4) return;
  if (isTensor(value)) {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, into, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectTensors(v, into, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into, depth + 1);
  }
}

function isTensor(x: object): x is Tensor {
  return (x as { isTensor?: boolean }).isTensor === true;
}
