// Deferred errors: what a WebGPU kernel can only find while it runs (a gather index out of
// range, a class label outside [0, C)). The op returns before the kernel runs, so the kernel
// writes a status (four u32 words: [code, a, b, c], 0 = fine) into a slot of its own, and the
// device checks the slots at the next read or `checkDeferredErrors()`. The rules:
//   - every dispatch that may raise a status gets its own slot, so every error is reported,
//     each naming its op (the message a kernel file registered for its code);
//   - the first read after the op throws the errors found, whatever tensor it reads;
//   - a storage written by such a dispatch, or computed from one, is tainted by its slot:
//     once the slot is known bad, reading that storage throws the slot's error (so a clamped
//     result is never read as valid), however long after.
// Slots live in pages of STATUS_PAGE_SLOTS; a check copies the used slots into the read's
// staging buffer and clears them, so they are reused after every read.

import { TensorLoopError } from '../errors.js';
import type { Storage } from './device.js';

/** The status words of one dispatch: [code, a, b, c]. */
export const STATUS_BYTES = 16;
/** Slots per page; a page is added when more dispatches raise statuses between two reads. */
const STATUS_PAGE_SLOTS = 64;

/** Messages for status codes raised by kernels, registered by the kernel files. */
const STATUS_MESSAGES = new Map<number, (words: Uint32Array) => string>();

/** Lets a kernel file explain a status code its WGSL writes into the status words. */
export function registerStatusCode(code: number, message: (words: Uint32Array) => string): void {
  STATUS_MESSAGES.set(code, message);
}

/** One dispatch's status: pending until a check reads it. */
export interface StatusSlot {
  readonly op: string;
  state: 'pending' | 'ok' | 'failed';
  error?: TensorLoopError;
}

/** What a storage was computed from: the unresolved or failed slots behind it. */
export interface Tainted extends Storage {
  taint?: readonly StatusSlot[];
}

export class DeferredErrors {
  private readonly pages: GPUBuffer[] = [];
  /** Slots taken since the last check, in slot order. */
  private pending: StatusSlot[] = [];
  /** Checks collected but not yet resolved. */
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    /** Bytes between slots: the storage-binding offset alignment. */
    private readonly slotBytes: number,
  ) {}

  /** A slot for one dispatch of `op`, as the binding its status words go to. */
  take(op: string): { slot: StatusSlot; binding: GPUBufferBinding } {
    const index = this.pending.length;
    const pageIndex = Math.floor(index / STATUS_PAGE_SLOTS);
    // a new page starts zeroed (WebGPU zero-initializes buffers)
    const page = (this.pages[pageIndex] ??= this.device.createBuffer({ size: STATUS_PAGE_SLOTS * this.slotBytes, usage: this.usage, label: `status page ${pageIndex}` }));
    const slot: StatusSlot = { op, state: 'pending' };
    this.pending.push(slot);
    return { slot, binding: { buffer: page, offset: (index % STATUS_PAGE_SLOTS) * this.slotBytes, size: STATUS_BYTES } };
  }

  /** The slots a storage computed from `sources` (and written by the dispatch owning `own`)
   * depends on: those still pending or failed. */
  taintOf(sources: readonly Storage[], own?: StatusSlot): StatusSlot[] | undefined {
    let out: Set<StatusSlot> | undefined;
    for (const s of sources) {
      for (const slot of (s as Tainted).taint ?? []) if (slot.state !== 'ok') (out ??= new Set()).add(slot);
    }
    if (own) (out ??= new Set()).add(own);
    return out && [...out];
  }

  /** Bytes a check of the pending slots needs in a staging buffer. */
  get pendingBytes(): number {
    return this.pending.length * STATUS_BYTES;
  }

  /** Records copies of every pending slot into `staging` from `offset` and clears them; the
   * returned check is resolved with the mapped words by `resolve`. */
  collect(encoder: GPUCommandEncoder, staging: GPUBuffer, offset: number): { slots: StatusSlot[]; done: () => void } {
    const slots = this.pending;
    slots.forEach((_, i) => {
      const page = this.pages[Math.floor(i / STATUS_PAGE_SLOTS)]!;
      encoder.copyBufferToBuffer(page, (i % STATUS_PAGE_SLOTS) * this.slotBytes, staging, offset + i * STATUS_BYTES, STATUS_BYTES);
    });
    for (let p = 0; p * STATUS_PAGE_SLOTS < slots.length; p++) encoder.clearBuffer(this.pages[p]!);
    this.pending = [];
    let done = (): void => {};
    const settled = new Promise<void>((resolve) => (done = resolve));
    this.inFlight.add(settled);
    return {
      slots,
      done: () => {
        this.inFlight.delete(settled);
        done();
      },
    };
  }

  /** Settles each slot of a check from its words; throws the errors found (all of them). */
  resolve(slots: readonly StatusSlot[], words: Uint32Array): void {
    const errors: TensorLoopError[] = [];
    slots.forEach((slot, i) => {
      const status = words.subarray(i * 4, i * 4 + 4);
      if (status[0] === 0) {
        slot.state = 'ok';
        return;
      }
      const message = STATUS_MESSAGES.get(status[0]!);
      slot.state = 'failed';
      slot.error = new TensorLoopError(message ? message(status) : `${slot.op}: the kernel raised status ${Array.from(status).join(',')} on webgpu`);
      errors.push(slot.error);
    });
    // one bad label seen by the loss and by its gradient is one error
    const messages = [...new Set(errors.map((e) => e.message))];
    if (messages.length === 1) throw errors[0];
    if (messages.length > 1) {
      throw new TensorLoopError(`${messages.length} deferred errors on webgpu, in the order of their ops:\n  ${messages.join('\n  ')}`);
    }
  }

  /** Resolves once the checks collected so far have been resolved. */
  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  /** Throws the error of the first failed slot behind `storage`, if any. */
  throwIfPoisoned(storage: Storage): void {
    const failed = (storage as Tainted).taint?.find((slot) => slot.state === 'failed');
    if (failed) throw failed.error!;
  }

  destroy(): void {
    for (const page of this.pages) page.destroy();
    this.pages.length = 0;
    this.pending = [];
  }
}
