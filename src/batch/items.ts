// A batch's images: the files and folders given, expanded into one item per image with the name of
// its output (the input's path below the folder given, or its name, with the output's extension)
// and of its checkpoint. Two inputs that would write one output are refused before any work.

import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../util/errors.js';

/** Image files a folder contributes (a file named on its own is tried whatever its name). */
export const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** The folder, inside the output folder, that holds the checkpoints of images in progress. */
export const CHECKPOINT_FOLDER = '.checkpoints';

export interface BatchItem {
  /** The input image's path, absolute. */
  input: string;
  /** The output's path, absolute, and its name below the output folder. */
  output: string;
  name: string;
}

/** Every image of `inputs` (files, and image files anywhere under folders, sorted), each with its output in `outDir`. */
export function listItems(inputs: readonly string[], outDir: string, format: 'png' | 'jpg'): BatchItem[] {
  const out = resolve(outDir);
  const items: BatchItem[] = [];
  const byOutput = new Map<string, string>();
  for (const given of inputs) {
    const path = resolve(given);
    let folder: boolean;
    try {
      folder = statSync(path).isDirectory();
    } catch {
      throw new UserError(`${given}: no such file or folder; give image files or folders of them`);
    }
    const found = folder
      ? imagesUnder(path, out).map((file) => ({ file, name: relative(path, file) }))
      : [{ file: path, name: basename(path) }];
    for (const { file, name } of found) {
      const outName = name.slice(0, name.length - extname(name).length) + `.${format}`;
      const output = join(out, outName);
      const other = byOutput.get(output);
      if (other !== undefined && other !== file)
        throw new UserError(`${other} and ${file} would both be written to ${output}: rename one, or run them in two batches`);
      if (other === file) continue; // named twice (a file and its folder)
      byOutput.set(output, file);
      items.push({ input: file, output, name: outName });
    }
  }
  return items;
}

/** Image files under `folder`, sorted, leaving out the output folder (which may sit inside it). */
function imagesUnder(folder: string, outDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== outDir && !entry.name.startsWith('.')) walk(path);
      } else if (IMAGE_FILE.test(entry.name)) found.push(path);
    }
  };
  walk(folder);
  if (found.length === 0) throw new UserError(`${folder}: no .png or .jpg files in this folder`);
  return found;
}

/** Where an item's checkpoint goes: named by the output and the item's key (a changed input or setting starts afresh). */
export function checkpointPathFor(outDir: string, item: BatchItem, key: string): string {
  const flat = item.name.split(sep).join('__');
  return join(resolve(outDir), CHECKPOINT_FOLDER, `${flat}.${key.slice(0, 16)}.ckpt`);
}
