// What a style job settles before any work: the style blend, the deepest layer it needs, and its
// memory plan, refusing options no run could carry out (a scale too small for that layer, a tensor
// past the device's buffer or binding size, an L-BFGS history or a plan past the budget).

import { TensorTooLargeError, type GpuContext } from '../gpu/index.js';
import type { VggWeights } from '../vgg/index.js';
import { seedToNetwork } from '../style/convention.js';
import type { RgbaImage } from '../style/image-tensor.js';
import type { StyleOptions } from '../style/job-types.js';
import { checkLbfgsMemory } from '../optim/lbfgs-history.js';
import { checkMemory } from './memory-messages.js';
import { BROWSER_MAX_MEMORY_MIB, planMemory, tensorOverLimit, type MemoryPlan } from './memory-plan.js';
import { minimumSide } from './schedule.js';

export interface CheckedJob {
  /** Each style image's share of the style loss, summing to 1 (or all 0). */
  blend: number[];
  /** The deepest VGG layer a loss term uses. */
  deepest: number;
  /** The smallest image side that keeps the deepest layer used at least 1 px. */
  minSide: number;
  /** Each scale's planned peak and whether it recomputes. */
  memory: MemoryPlan;
}

export function checkJob(ctx: GpuContext, weights: VggWeights, styles: readonly RgbaImage[], options: StyleOptions): CheckedJob {
  const loss = options.loss;
  // planJob(settings, w, h, styles.length) refuses these settings with a message for people;
  // here they only guard callers that built the options themselves.
  const given = options.styleBlend ?? styles.map(() => 1);
  if (loss.styleWeight && styles.length === 0) throw new Error('runStyleJob: a style weight > 0 needs at least one style image');
  if (given.length !== styles.length)
    throw new Error(`runStyleJob: styleBlend has ${given.length} weights for ${styles.length} style images`);
  const blendSum = given.reduce((a, b) => a + b, 0);
  const blend = given.map((b) => (blendSum > 0 ? b / blendSum : 0));
  const deepest = Math.max(...(loss.contentWeight ? loss.contentLayers : []), ...(loss.styleWeight ? loss.styleLayers : []), 0);
  const minSide = minimumSide(deepest);
  for (const s of options.scales) {
    if (Math.min(s.width, s.height) < minSide) {
      throw new Error(`runStyleJob: a ${s.width}×${s.height} scale is too small for layer ${deepest} (planJob refuses such settings)`);
    }
  }
  if (options.optimizer?.kind === 'lbfgs') checkLbfgsMemory(ctx.device.limits.maxBufferSize, options.optimizer, options.scales);
  // Before any work: every activation must fit one buffer (kernels bind larger ones band by band)
  // and the image, whose kernels bind it whole, one binding.
  const limits = { bufferBytes: ctx.maxBufferBytes, bindingBytes: ctx.bindingBytes, optimizer: options.optimizer };
  for (const s of options.scales) {
    const over = tensorOverLimit(deepest, s.width, s.height, limits);
    if (over)
      throw new TensorTooLargeError(over.shape, over.bytes, over.limitBytes, `the ${s.width}×${s.height} scale: ${over.name}`, over.limit);
  }
  // planJob's plan; a caller that built the options itself gets one under the browser's default budget.
  const memory =
    options.memory ??
    planMemory(
      { ...options, styles, convertsInput: seedToNetwork(weights.input) !== null, subgroups: ctx.subgroupsOf8, ...limits },
      BROWSER_MAX_MEMORY_MIB,
      true,
    );
  checkMemory(memory);
  return { blend, deepest, minSide, memory };
}
