// The style-transfer job on one image: a StyleSession (src/style/session.ts: the network and the
// style images) made for it, one run (src/style/job-run.ts: the scales, the targets, the
// optimiser), then disposed. Browser-safe: images in, image out, progress through hooks.

import type { GpuContext } from '../gpu/index.js';
import type { VggWeights } from '../vgg/index.js';
import type { RgbaImage } from './image-tensor.js';
import type { StyleHooks, StyleOptions, StyleProgress, StyleResult } from './job-types.js';
import { checkStyleMasks } from './masks.js';
import { StyleSession } from './session.js';

export type { StyleHooks, StyleOptions, StyleProgress, StyleResult };

export async function runStyleJob(
  ctx: GpuContext,
  weights: VggWeights,
  content: RgbaImage,
  styles: readonly RgbaImage[],
  options: StyleOptions,
  hooks: StyleHooks = {},
): Promise<StyleResult> {
  if (options.styleMasks) checkStyleMasks(options.styleMasks, styles.length, content, options.styleMaskNames);
  const session = new StyleSession(ctx, weights, styles, options);
  try {
    return await session.run(content, options, hooks);
  } finally {
    session.dispose();
  }
}
