// Replacing a file so that a crash, a kill or a power cut at any moment leaves either
// the old file or the new one, whole (Node only; the file system loads lazily):
//   1. write the bytes to a temporary file beside the target, with a name no other save
//      can take (process id, a counter and random letters; opened exclusively),
//   2. flush it to disk (fsync), so the rename cannot land before the data,
//   3. rename it over the target (atomic within one file system),
//   4. flush the directory, so the rename itself survives a power cut.
// A save that is killed leaves its temporary file behind; the next save to the same path
// removes those of processes that no longer run (and this process's that are not in flight).

import { TensorLoopError } from '../errors.js';
import { nodeModule } from '../platform.js';

const TEMPORARY_MARK = '.tmp-';
let counter = 0;
/** Temporary files this process is writing now (full paths): never cleaned up. */
const inFlight = new Set<string>();

/** Writes `bytes` to `path` atomically (creating its folder); errors are TensorLoopErrors
 * starting with `owner`. */
export async function writeFileAtomically(path: string, bytes: Uint8Array, owner: string): Promise<void> {
  const fs = nodeModule('fs/promises', `${owner}: files work in Node only`);
  const { basename, dirname, join } = nodeModule('path', `${owner}: files work in Node only`);
  const directory = dirname(path);
  const fail = (what: string, error: unknown): never => {
    throw new TensorLoopError(`${owner}: cannot ${what} ${path}: ${(error as Error).message}`);
  };
  await fs.mkdir(directory, { recursive: true }).catch((error: unknown) => fail('create the folder of', error));
  await removeStaleTemporaries(directory, basename(path));
  let temporary = '';
  let file: Awaited<ReturnType<typeof fs.open>> | undefined;
  for (let attempt = 0; !file; attempt++) {
    temporary = join(directory, temporaryName(basename(path)));
    // in flight before it exists: a concurrent save's clean-up must never take it for stale
    inFlight.add(temporary);
    try {
      file = await fs.open(temporary, 'wx'); // fails if the name exists: never shared
    } catch (error) {
      inFlight.delete(temporary);
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) fail('write', error);
    }
  }
  try {
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(temporary, path);
  } catch (error) {
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    fail('write', error);
  } finally {
    inFlight.delete(temporary);
  }
  await syncDirectory(directory);
}

/** `<name>.tmp-<pid>-<counter>-<random>`: unique across processes and within one. */
function temporaryName(name: string): string {
  counter += 1;
  return `${name}${TEMPORARY_MARK}${process.pid}-${counter}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Removes `<name>.tmp-<pid>-…` files left in `directory` by saves that died: those of
 * processes no longer running, and this process's own that no save of it is writing. */
async function removeStaleTemporaries(directory: string, name: string): Promise<void> {
  const fs = nodeModule('fs/promises', 'writing files atomically works in Node only');
  const { join } = nodeModule('path', 'writing files atomically works in Node only');
  let entries: string[];
  try {
    entries = await fs.readdir(directory);
  } catch {
    return; // nothing to clean where nothing can be listed; the write reports real trouble
  }
  const prefix = name + TEMPORARY_MARK;
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(entry.slice(prefix.length))?.[1]);
    const full = join(directory, entry);
    const stale = pid === process.pid ? !inFlight.has(full) : Number.isInteger(pid) && !isRunning(pid);
    if (stale) await fs.rm(full, { force: true }).catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** fsync on the folder makes a rename in it durable. Some platforms (Windows) cannot open
 * a folder for that; there the rename is as durable as the platform makes it. */
async function syncDirectory(directory: string): Promise<void> {
  const fs = nodeModule('fs/promises', 'writing files atomically works in Node only');
  let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    handle = await fs.open(directory, 'r');
    await handle.sync();
  } catch {
    // not supported here: nothing more to do
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
