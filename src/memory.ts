// Deterministic memory management: scopes. Every tensor created while a scope is open
// belongs to it; closing the scope disposes those it does not return and that were not
// `keep`-ed. `tidy(fn)` is the usual way in. A FinalizationRegistry (in tensor.ts) is only
// a safety net for tensors nobody disposed.
//
// Scopes belong to the async context that opened them. While `tidyAsync(fn)` (or the
// training loop, between startScope and endScope) awaits, other code runs: a timer, a request
// handler. Its tensors are not the scope's, and must not be freed under their owner. So the
// innermost scope is remembered per async context, with Node's AsyncLocalStorage (code
// continuing after an await, and callbacks scheduled inside the scope, see the scope; code
// scheduled before it opened does not). Where the runtime has no AsyncLocalStorage (a
// browser) there is one innermost scope for all code, and tensors other async code makes
// while a scope awaits join it: keep() them, or make them outside such a window.
//
// Scopes form a tree: each has a parent, the innermost open scope when it opened. A closed
// scope is skipped (its parent stands in for it), so a context that still points at a closed
// scope finds the right open one.

import type { Tensor } from './tensor.js';

interface Scope {
  readonly tensors: Set<Tensor>;
  readonly parent: Scope | undefined;
  open: boolean;
}

/** Remembers one value per async context (the subset of AsyncLocalStorage used here). */
interface ContextStore {
  getStore(): Scope | undefined;
  enterWith(scope: Scope | undefined): void;
  run<R>(scope: Scope | undefined, fn: () => R): R;
}

/** AsyncLocalStorage where the runtime has it, found without importing a Node module (the
 * library also runs in browsers): `process.getBuiltinModule` (Node ≥ 20.16). */
function asyncContextStore(): ContextStore | null {
  const process = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
  const hooks = process?.getBuiltinModule?.('node:async_hooks') as { AsyncLocalStorage?: new () => ContextStore } | undefined;
  return hooks?.AsyncLocalStorage ? new hooks.AsyncLocalStorage() : null;
}

const contexts = asyncContextStore();
/** The innermost scope, where there is no ContextStore. */
let globalScope: Scope | undefined;

/** True when scopes follow async contexts (AsyncLocalStorage), false with one global scope stack. */
export const scopesFollowAsyncContexts = contexts !== null;

/** The innermost open scope of the running code. */
function innermost(): Scope | undefined {
  let scope = contexts ? contexts.getStore() : globalScope;
  while (scope && !scope.open) scope = scope.parent;
  return scope;
}

function enter(scope: Scope | undefined): void {
  if (contexts) contexts.enterWith(scope);
  else globalScope = scope;
}

function open(): Scope {
  return { tensors: new Set(), parent: innermost(), open: true };
}

/** Closes `scope`: tensors found in `result` move to the enclosing open scope, the others
 * (not kept) are disposed. */
function close(scope: Scope, result?: unknown): void {
  scope.open = false;
  const returned = new Set<Tensor>();
  collectTensors(result, returned, 0);
  let parent = scope.parent;
  while (parent && !parent.open) parent = parent.parent;
  for (const t of scope.tensors) {
    if (returned.has(t)) parent?.tensors.add(t);
    else if (!t.kept) t.dispose();
  }
  scope.tensors.clear();
}

/** Called by the Tensor constructor: the tensor joins the innermost open scope. */
export function trackTensor(t: Tensor): void {
  innermost()?.tensors.add(t);
}

/** Marks `t` as exempt from every enclosing scope; it lives until disposed. */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  for (let scope = innermost(); scope; scope = scope.parent) scope.tensors.delete(t);
  return t;
}

/** Opens a scope in the running async context; `endScope` closes it. Prefer `tidy` and
 * `tidyAsync`, which cannot be left open. */
export function startScope(): void {
  enter(open());
}

/** Closes the innermost scope of the running async context; tensors found in `result` move
 * to the enclosing scope. */
export function endScope(result?: unknown): void {
  const scope = innermost();
  if (!scope) throw new Error('endScope: no scope is open');
  close(scope, result);
  enter(scope.parent);
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

/** Like tidy, for async functions: tensors `fn` creates, before and after its awaits, are
 * disposed after unless returned; tensors other async code creates meanwhile are not. */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  const scope = open();
  let result: T;
  try {
    if (contexts) {
      result = await contexts.run(scope, fn);
    } else {
      globalScope = scope;
      result = await fn();
    }
  } catch (error) {
    close(scope);
    if (!contexts) globalScope = scope.parent;
    throw error;
  }
  close(scope, result);
  if (!contexts) globalScope = scope.parent;
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
