// What a batch has to do, worked out before any GPU work, the same way for one machine and for the
// queue: its items, each input's digest, the digest of everything else the outputs depend on (the
// settings, the style files' bytes, the weights named, the output format), and which items the
// manifest already has done. An input that cannot be read is reported here and skipped.

import { resolve } from 'node:path';
import type { StyleSettings } from '../plan/settings.js';
import { UserError } from '../util/errors.js';
import { checkpointPathFor, listItems, type BatchItem } from './items.js';
import { fileDigest, isDone, manifestPath, readManifest, textDigest } from './manifest.js';
import type { ImageJob } from './runner.js';

export interface BatchSpec {
  /** Image files and folders of them. */
  inputs: readonly string[];
  styles: readonly string[];
  outDir: string;
  format: 'png' | 'jpg';
  settings: Partial<StyleSettings>;
  checkpointEvery: number;
  quality: number;
  maxMegapixels?: number;
  /** The weights file named (not its bytes: workers read their own); part of the settings digest. */
  weights?: string;
}

export interface PlannedItem extends BatchItem {
  /** 'todo', 'skip' (done before with the same input and settings) or 'unreadable'. */
  state: 'todo' | 'skip' | 'unreadable';
  inputDigest: string;
  /** The output, input digest and settings digest together: names the item's checkpoint and its queue job. */
  key: string;
  job: ImageJob;
}

export interface BatchPlan {
  items: PlannedItem[];
  settingsDigest: string;
  manifest: string;
}

export function prepareBatch(spec: BatchSpec): BatchPlan {
  const styles = spec.styles.map((s) => resolve(s));
  const styleDigests = styles.map((path) => {
    const digest = fileDigest(path);
    if (digest === null) throw new UserError(`${path}: cannot read this style image; give a .png or .jpg file`);
    return digest;
  });
  const settingsDigest = textDigest(
    JSON.stringify({
      settings: sorted(spec.settings),
      styles: styleDigests,
      weights: spec.weights ?? null,
      format: spec.format,
      quality: spec.quality,
    }),
  );
  const manifest = manifestPath(spec.outDir);
  const done = readManifest(manifest);
  const items = listItems(spec.inputs, spec.outDir, spec.format).map((item): PlannedItem => {
    const inputDigest = fileDigest(item.input) ?? '';
    // The output too: two inputs with the same bytes are two images to write.
    const key = textDigest(`${item.output}:${inputDigest}:${settingsDigest}`);
    const state = inputDigest === '' ? 'unreadable' : isDone(done.get(item.output), inputDigest, settingsDigest) ? 'skip' : 'todo';
    const job: ImageJob = {
      input: item.input,
      output: item.output,
      checkpoint: checkpointPathFor(spec.outDir, item, key),
      styles,
      settings: spec.settings,
      checkpointEvery: spec.checkpointEvery,
      quality: spec.quality,
      maxMegapixels: spec.maxMegapixels,
    };
    return { ...item, state, inputDigest, key, job };
  });
  return { items, settingsDigest, manifest };
}

/** The settings with their keys in order, so that the digest does not depend on the order options were given. */
function sorted(settings: Partial<StyleSettings>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : 1)));
}
