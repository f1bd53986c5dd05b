// Which run a video's stylised frames belong to: the settings that shape them, the first content
// frame, the styles and the weights (runIdentity, as a still image's checkpoint), kept beside the
// frames while the video is unfinished, so that --resume with another style, input, weights or
// setting is refused instead of mixing two runs' frames into one video.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { identityDifferences, runIdentity, type RunIdentity } from '../io/checkpoint-file.js';
import type { VideoPlan } from '../plan/video-options.js';
import type { RgbaImage } from '../style/image-tensor.js';
import { UserError } from '../util/errors.js';
import type { VggWeights } from '../vgg/index.js';
import { nodeSha256 } from './checkpoint-files.js';
import { PreparedWrite } from './safe-write.js';
import type { PatternFrameStore } from './video-frames.js';

export class VideoRunRecord {
  /** Beside the frames, hidden, named after the pattern (two patterns in one folder keep two records). */
  readonly path: string;

  constructor(private readonly store: PatternFrameStore) {
    const { folder, prefix, digits, suffix } = store.pattern;
    this.path = join(folder, `.${prefix}%0${digits}d${suffix}.wgpu-style-run.json`);
  }

  /** Refuses to go on from frames another run made (when this one resumes and a record is there); then records this run. */
  claim(plan: VideoPlan, firstFrame: RgbaImage, styles: readonly RgbaImage[], weights: VggWeights, resuming: boolean): void {
    const images = { content: firstFrame, ...Object.fromEntries(styles.map((s, i) => [`style ${i + 1}`, s])) };
    const identity = runIdentity(plan.first, images, weights, nodeSha256);
    // The video settings, each a setting of its own (named in a refusal).
    const video = { temporalWeight: plan.temporalWeight, flowRelativeIndices: plan.flowRelativeIndices, frameScales: plan.next.scales };
    const now: RunIdentity = JSON.parse(JSON.stringify({ ...identity, settings: { ...identity.settings, ...video } })) as RunIdentity;
    if (resuming && existsSync(this.path)) {
      const differences = identityDifferences(this.saved(), now);
      if (differences.length > 0)
        throw new UserError(
          `the frames in ${this.store.pattern.folder} belong to another run (${basename(this.path)}): ${differences.join('; ')}. Resume with the same input, styles, weights and settings, or start again in an empty output`,
        );
    }
    PreparedWrite.replace(this.path, new TextEncoder().encode(JSON.stringify(now)));
  }

  /** Once every frame is made: the frames stand alone. */
  remove(): void {
    rmSync(this.path, { force: true });
  }

  private saved(): RunIdentity {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as RunIdentity;
    } catch (err) {
      throw new UserError(
        `${this.path}: cannot read this record of the stopped run (${(err as Error).message}); remove it to resume anyway`,
      );
    }
  }
}
