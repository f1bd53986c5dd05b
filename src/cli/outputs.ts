// Every file a style run writes (the result, its snapshots, its checkpoint), checked against every
// file it reads before any work starts, so that no run ever writes over a file the user owns.

import { statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { assertCheckpointTarget } from '../node/checkpoint-files.js';
import { assertNotInput, PreparedWrite } from '../node/safe-write.js';
import type { StyleOptions } from '../style/job.js';
import { UsageError } from './errors.js';

export interface RunOutputs {
  /** The result's file, created (empty, under a temporary name) in its folder already. */
  result: PreparedWrite;
  output: string;
  checkpoint: string | null;
  /** Checks the snapshot names the plan will write, once the plan is known. */
  checkSnapshots(plan: StyleOptions, every: number): void;
}

/** What an output's name may end in. */
export const OUTPUT_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export function planOutputs(output: string, checkpoint: string | null, inputs: readonly string[]): RunOutputs {
  if (!OUTPUT_EXTENSIONS.includes(extname(output).toLowerCase())) {
    throw new UsageError(`${output}: the output must end in .png, .jpg or .jpeg`);
  }
  // The output first: a folder that takes no file is --output's problem, not its checkpoint's.
  const result = PreparedWrite.prepare(output, { what: '--output', inputs });
  if (checkpoint !== null) {
    // Without --checkpoint the checkpoint is named after --output: a message names what the user set.
    const named = checkpoint === defaultCheckpointPath(output);
    const what = named ? 'the checkpoint' : '--checkpoint';
    const fix = named ? 'name another with --checkpoint (the default is --output plus .ckpt)' : 'choose another --checkpoint';
    if (isFolder(checkpoint))
      throw new UsageError(
        `${what} ${checkpoint} is a folder; ${named ? fix : `give a file name, such as ${join(checkpoint, 'run.ckpt')}`}`,
      );
    assertNotInput(checkpoint, inputs, what, fix);
    assertCheckpointTarget(checkpoint, what, defaultCheckpointPath(output), fix);
    if (resolve(checkpoint) === resolve(output)) throw new UsageError(`--checkpoint ${checkpoint} is also the output; choose another name`);
    PreparedWrite.prepare(checkpoint, { what, inputs, fix }).discard();
  }
  return {
    result,
    output: resolve(output),
    checkpoint: checkpoint === null ? null : resolve(checkpoint),
    checkSnapshots(plan, every) {
      if (every <= 0) return;
      plan.scales.forEach((scale, s) => {
        for (let step = every; step <= scale.steps; step += every) {
          const path = snapshotPath(output, s + 1, step);
          if (Buffer.byteLength(basename(path)) > 255)
            throw new UsageError(`the snapshot name ${basename(path)} would be longer than 255 bytes; choose a shorter --output`);
          if (isFolder(path)) throw new UsageError(`the snapshot ${path} would replace a folder; choose another --output or --save-every`);
          assertNotInput(path, inputs, 'the snapshot', 'choose another --output (snapshots are named after it) or --save-every');
        }
      });
    },
  };
}

export function snapshotPath(output: string, scale: number, step: number): string {
  const ext = extname(output);
  return join(dirname(output), `${basename(output, ext)}-s${scale}-${String(step).padStart(4, '0')}${ext}`);
}

/** Checkpoints go beside the output by default: out.png -> out.png.ckpt. */
export function defaultCheckpointPath(output: string): string {
  return `${output}.ckpt`;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
