// Kernel profiling, off by default: set TENSORLOOP_PROFILE=1 (Node) or `profiler.enabled =
// true` to collect, per kernel family, how many calls ran and how long they took.
//   host    every kernel call through the one door (kernelFor): the call's wall time. On
//           the CPU that is the kernel's whole work; on WebGPU only the recording of the
//           dispatch, the GPU runs it later.
//   gpu     every WebGPU dispatch, timed on the GPU by timestamp queries when the adapter
//           has 'timestamp-query' (see GpuTimestamps in webgpu-timestamps.ts); one compute
//           pass per dispatch while profiling, so totals run a little above a normal step's.
// A family is a kernel's name plus its op (`unary/relu`, `conv2d`) on the host, the first
// two parts of the dispatch key (`binary/add`, `gemm/conv2d`) on the GPU.

export interface KernelStats {
  calls: number;
  milliseconds: number;
}

function fromEnvironment(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.TENSORLOOP_PROFILE;
  return value !== undefined && value !== '' && value !== '0';
}

class Profiler {
  enabled = fromEnvironment();
  readonly host = new Map<string, KernelStats>();
  readonly gpu = new Map<string, KernelStats>();

  record(table: 'host' | 'gpu', family: string, milliseconds: number): void {
    const map = this[table];
    const stats = map.get(family);
    if (stats) {
      stats.calls += 1;
      stats.milliseconds += milliseconds;
    } else {
      map.set(family, { calls: 1, milliseconds });
    }
  }

  reset(): void {
    this.host.clear();
    this.gpu.clear();
  }

  /** Wraps a kernel so each call is timed into `host` under its family. */
  timed<F extends (...args: never[]) => unknown>(name: string, kernel: F): F {
    return ((...args: Parameters<F>) => {
      const start = performance.now();
      try {
        return kernel(...args);
      } finally {
        const op = args[0];
        this.record('host', typeof op === 'string' ? `${name}/${op}` : name, performance.now() - start);
      }
    }) as F;
  }
}

export const profiler = new Profiler();

/** The family of a WebGPU dispatch key: its first two `/`-separated parts. */
export function dispatchFamily(key: string): string {
  return key.split('/').slice(0, 2).join('/');
}
