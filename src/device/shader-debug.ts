// Every WGSL shader made visible. When a device builds the pipeline of a kernel variant for
// the first time it reports the shader here: with TENSORLOOP_DEBUG=shaders in the
// environment (a comma-separated list, as TENSORLOOP_DEBUG=shaders,other) each one is
// printed with its kernel name and variant; listeners (the docs/shaders snapshot script and
// its test) receive them too. The variant key reads `kernel/variant…`, e.g.
// `reduce/sum/f32/tree/vec4`: the kernel's name, then what its code was specialized on.

export type ShaderListener = (key: string, wgsl: string) => void;

const listeners = new Set<ShaderListener>();

/** Calls `listener` for every shader built from now on; returns the function that stops it. */
export function onShaderBuilt(listener: ShaderListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether TENSORLOOP_DEBUG lists `topic` (read at each call: only first builds ask). */
export function debugEnabled(topic: string): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return (env?.TENSORLOOP_DEBUG ?? '').split(',').some((t) => t.trim() === topic);
}

/** The printed form of one shader: a header line naming the kernel and variant, then the code. */
export function describeShader(key: string, wgsl: string): string {
  const cut = key.indexOf('/');
  const kernel = cut < 0 ? key : key.slice(0, cut);
  const variant = cut < 0 ? '(only one)' : key.slice(cut + 1);
  return `// ---- WGSL of kernel ${kernel}, variant ${variant}\n${wgsl.trim()}\n`;
}

/** Called by the pipeline cache when it compiles `key` for the first time on a device. */
export function shaderBuilt(key: string, wgsl: string): void {
  if (debugEnabled('shaders')) console.log(describeShader(key, wgsl));
  for (const listener of listeners) listener(key, wgsl);
}
