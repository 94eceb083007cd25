// The source of the CPU device's second thread (see runtime.ts), as text so that Node
// (`new Worker(source, {eval: true})`) and a browser (a Blob URL) start the same code with
// no file to ship. It receives the module and the shared memory once, says it is ready,
// then loops: wait for the job number to move (polling a little before it sleeps), then
// claim chunks of the job and run the function on each until none is left, counting each
// finished chunk and waking the calling thread after the last. The claim is runtime.ts's
// claimChunk, written again here in plain JavaScript.

export function workerSource(host: 'node' | 'browser'): string {
  const receive =
    host === 'node'
      ? `require('node:worker_threads').parentPort.once('message', start);`
      : `self.onmessage = (event) => start(event.data);`;
  return `
function start({ module, memory, names, control }) {
  const { SEQ, READY, FUNCTION, CLAIM, FINISHED, CHUNKS, UNITS, RANGE_AT, ARG_COUNT, ARGS, SPINS } = control;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const ctl = new Int32Array(memory.buffer, 0, 64);
  const claim = (tag) => {
    for (;;) {
      const v = Atomics.load(ctl, CLAIM);
      const chunk = v & 255;
      if (v >>> 8 !== tag || chunk >= ctl[CHUNKS]) return null;
      if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) === v) {
        const size = Math.ceil(ctl[UNITS] / ctl[CHUNKS]);
        return [chunk * size, Math.min(ctl[UNITS], (chunk + 1) * size)];
      }
    }
  };
  let seen = Atomics.load(ctl, SEQ);
  Atomics.store(ctl, READY, 1);
  for (;;) {
    for (let i = 0; Atomics.load(ctl, SEQ) === seen; i++) if (i >= SPINS) Atomics.wait(ctl, SEQ, seen);
    seen = Atomics.load(ctl, SEQ);
    const fn = instance.exports[names[ctl[FUNCTION]]];
    const args = Array.from(ctl.subarray(ARGS, ARGS + ctl[ARG_COUNT]));
    const at = ctl[RANGE_AT];
    for (let range = claim(seen); range; range = claim(seen)) {
      args[at] = range[0];
      args[at + 1] = range[1];
      fn(...args);
      const all = (seen << 8) | ctl[CHUNKS];
      if (Atomics.add(ctl, FINISHED, 1) + 1 === all) Atomics.notify(ctl, FINISHED);
    }
  }
}
${receive}
`;
}
