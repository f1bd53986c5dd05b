// The library API for Node: `stylize({ content, styles, ... })` with paths or decoded images,
// weights from a file, the cache or a download, and a GPU context made (and closed) on demand.

import type { GpuContext } from '../gpu/index.js';
import { readImage } from '../io/image.js';
import type { RgbaImage } from '../style/image-tensor.js';
import { runStyleJob, type StyleHooks, type StyleResult } from '../style/job.js';
import { planJob, type StyleSettings } from '../style/settings.js';
import type { VggWeights } from '../vgg/index.js';
import { createNodeContext, type NodeGpuOptions } from './gpu.js';
import { ensureWeights } from './weights-cache.js';

export interface StylizeOptions extends Partial<Omit<StyleSettings, 'init'>>, StyleHooks {
  content: string | RgbaImage;
  styles: ReadonlyArray<string | RgbaImage>;
  /** 'content' (default), 'random', an image, or the path of one. */
  init?: 'content' | 'random' | string | RgbaImage;
  /** A .bin path or loaded weights; default: the cache, downloading Keras's VGG-19 once. */
  weights?: string | VggWeights;
  offline?: boolean;
  cacheDir?: string;
  /** Use this context instead of making one (it is not destroyed). */
  context?: GpuContext;
  gpu?: NodeGpuOptions;
  /** Download progress, when the weights must be fetched. */
  onDownload?: (received: number, total: number | null) => void;
  log?: (message: string) => void;
}

export async function stylize(options: StylizeOptions): Promise<StyleResult> {
  const content = typeof options.content === 'string' ? readImage(options.content) : options.content;
  const styles = options.styles.map((s) => (typeof s === 'string' ? readImage(s) : s));
  const init = typeof options.init === 'string' && options.init !== 'content' && options.init !== 'random' ? readImage(options.init) : options.init;
  const autotune = options.autotune ?? (process.env.WGPU_STYLE_AUTOTUNE === '0' ? false : undefined);
  const plan = planJob({ ...options, autotune, init: init as StyleSettings['init'] | undefined }, content.width, content.height);
  const weights =
    typeof options.weights === 'object'
      ? options.weights
      : (await ensureWeights({ weightsPath: options.weights, offline: options.offline, cacheDir: options.cacheDir, onProgress: options.onDownload, log: options.log })).weights;
  const ctx = options.context ?? (await createNodeContext(options.gpu));
  try {
    return await runStyleJob(ctx, weights, content, styles, plan, options);
  } finally {
    if (!options.context) ctx.destroy();
  }
}
