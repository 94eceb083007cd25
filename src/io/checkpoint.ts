// Checkpoint files (Node only; the file system is asked for when used (src/platform.ts), so the
// browser bundle can import this module and use checkpointToBytes / checkpointFromBytes instead):
//   saveCheckpoint(path, {model, optimizer?, extra?})
//   loadCheckpoint(path, {model, optimizer?, strict?})
// The bytes are those of checkpoint-format.ts; a save replaces the file atomically (see
// atomic-write.ts), so a crash or a kill mid-save leaves the previous checkpoint whole.

import { TensorLoopError } from '../errors.js';
import { nodeModule } from '../platform.js';
import { checkRequiredOptions } from '../options.js';
import {
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
  type SaveCheckpointOptions,
  LOAD_OPTIONS,
  SAVE_OPTIONS,
  checkpointFromBytes,
  checkpointToBytes,
} from './checkpoint-format.js';
import { writeFileAtomically } from './atomic-write.js';

export type { LoadCheckpointOptions, LoadedCheckpoint, SaveCheckpointOptions };

/** Writes `model` (and `optimizer`, `extra`) to `path` in the safetensors format. */
export async function saveCheckpoint(path: string, options: SaveCheckpointOptions): Promise<void> {
  checkPath('saveCheckpoint', path);
  checkRequiredOptions('saveCheckpoint', options, SAVE_OPTIONS);
  const bytes = await checkpointToBytes(options, 'saveCheckpoint');
  await writeFileAtomically(path, bytes, 'saveCheckpoint');
}

/** Reads a checkpoint into `model` (and `optimizer`). Everything is checked before
 * anything changes: a missing tensor, a shape or dtype that differs, a truncated or
 * corrupt file is a TensorLoopError naming the file and the problem. */
export async function loadCheckpoint(path: string, options: LoadCheckpointOptions): Promise<LoadedCheckpoint> {
  checkPath('loadCheckpoint', path);
  checkRequiredOptions('loadCheckpoint', options, LOAD_OPTIONS);
  const { readFile } = nodeModule('fs/promises', 'loadCheckpoint: reading a file works in Node only; in a browser use checkpointFromBytes');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new TensorLoopError(`loadCheckpoint: cannot read ${path}: ${(error as Error).message}`);
  }
  return checkpointFromBytes(bytes, options, `loadCheckpoint ${path}`);
}

function checkPath(owner: string, path: unknown): void {
  if (typeof path !== 'string' || path === '') throw new TensorLoopError(`${owner}: path must be a non-empty string, got ${JSON.stringify(path)}`);
}
