// The source of the CPU device's second thread (see runtime.ts), as text so that Node
// (`new Worker(source, {eval: true})`) and a browser (a Blob URL) start the same code with
// no file to ship. It receives the module and the shared memory once, says it is ready,
// then loops: wait for the job counter to move, run the named export on the arguments in
// the control block, publish the counter as done.

export function workerSource(host: 'node' | 'browser'): string {
  const receive =
    host === 'node'
      ? `require('node:worker_threads').parentPort.once('message', start);`
      : `self.onmessage = (event) => start(event.data);`;
  return `
function start({ module, memory, names, control }) {
  const { SEQ, DONE, READY, FUNCTION, ARGS, MAX_ARGS } = control;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const ctl = new Int32Array(memory.buffer, 0, 64);
  let seen = Atomics.load(ctl, SEQ);
  Atomics.store(ctl, READY, 1);
  for (;;) {
    Atomics.wait(ctl, SEQ, seen);
    seen = Atomics.load(ctl, SEQ);
    const fn = instance.exports[names[ctl[FUNCTION]]];
    fn(...ctl.subarray(ARGS, ARGS + MAX_ARGS));
    Atomics.store(ctl, DONE, seen);
    Atomics.notify(ctl, DONE);
  }
}
${receive}
`;
}
