// What a person sets (declared in options.ts with its defaults and ranges), checked and turned
// into a job plan. Shared by the CLI, the library API and the web page.

import { TensorTooLargeError } from '../gpu/index.js';
import type { OptimizerPlan } from '../optim/types.js';
import { deepestLayer, lossLayers, type LossConfig } from '../style/loss.js';
import type { Scale, StyleOptions } from '../style/job-types.js';
import { OptionError, UserError } from '../util/errors.js';
import { layerIndex, minimumSide, VGG19_FEATURES } from '../vgg/index.js';
import { checkLbfgsMemory } from './lbfgs-memory.js';
import { checkMemory } from './memory-messages.js';
import { defaultMaxMemoryMiB, planMemory, tensorOverLimit, type MemoryJob, type MemoryPlan } from './memory-plan.js';
import { DEFAULT_LR, invalidReason, SETTINGS, type OptionSpec } from './options.js';
import { DEFAULT_SETTINGS, type StyleSettings } from './settings.js';
import { pyramid, seedPreset } from './schedule.js';

/** A checked job: what runStyleJob takes, with the whole memory plan. */
export type JobPlan = StyleOptions & { memory: MemoryPlan };

/** The device's limits, where the edge has a device (src/gpu/context.ts's maxBufferBytes and bindingBytes). */
export interface DeviceLimits {
  bindingBytes: number;
  bufferBytes: number;
}

/**
 * The one place a job is checked: every setting, and, given the device's limits, every tensor
 * against them, L-BFGS's history against the largest buffer and each scale against the memory
 * budget; the job, the Node edge and the page take the plan as it is. Turns the settings into a job plan. `styleCount` (the number of style images)
 * lets it check --style-blend against them and refuse a style weight without style images; when
 * it is not given those two checks are left out. `host.memoryBytes` (the Node edge gives it) sets
 * the default memory budget; `host.bindingBytes` and `bufferBytes` (the device's limits, where the
 * edge has one) size the band scratch of tensors past one binding and the largest size that fits;
 * `host.contentName` (the content image's file name, where there is one) is named in messages about
 * its shape; `host.temporalTerms` (a video frame's earlier outputs, planVideo's) adds the temporal
 * term's tensors to the memory plan, `host.styleMaskCount` (--style-mask's count) the regions'. Without the device's limits (before the device exists) the plan is made and its
 * settings checked, but not its memory: the edges plan again with the limits before any work.
 * Throws OptionError naming the setting by its key, or TensorTooLargeError.
 */
export function planJob(
  settings: Partial<StyleSettings>,
  contentWidth: number,
  contentHeight: number,
  styleCount?: number,
  host: { memoryBytes?: number; contentName?: string; temporalTerms?: number; styleMaskCount?: number } & Partial<DeviceLimits> = {},
): JobPlan {
  // Keys present but undefined (an option not given) keep their defaults.
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const s: StyleSettings = { ...DEFAULT_SETTINGS, ...given };
  checkEach(s);
  checkOptimizer(s, given);
  const contentLayers = layerList('contentLayers', s.contentLayers);
  const styleLayers = layerList('styleLayers', s.styleLayers);
  const histogram = s.histogramWeight ? { weight: s.histogramWeight, layers: layerList('histogramLayers', s.histogramLayers) } : undefined;
  checkStyleLayerWeights(s.styleLayerWeights, styleLayers);
  checkStyleBlend(s, styleCount);
  const scales =
    s.preset === 'seed' ? seedPreset(s.presetStepsScale) : pyramid(contentWidth, contentHeight, s.size, s.scales, s.steps, s.lrDecayEvery);
  const content = { width: contentWidth, height: contentHeight, name: host.contentName };
  const { contentWeight, styleWeight, tvWeight, styleLayerWeights, styleLoss } = s;
  const loss: LossConfig = { contentLayers, styleLayers, styleLayerWeights, contentWeight, styleWeight, tvWeight, styleLoss, histogram };
  checkScaleSizes(scales, lossLayers(loss), content);
  const optimizer = optimizerPlan(s);
  // Each scale's GPU memory against the budget (checkpointing where needed); with the device's
  // limits, checkDevice (below) refuses one that cannot fit, before any work.
  const budget = s.maxMemory ?? defaultMaxMemoryMiB(host.memoryBytes);
  const { bindingBytes, bufferBytes } = host;
  const job = {
    scales,
    loss,
    pooling: s.pooling,
    optimizer,
    styleScale: s.styleScale,
    bindingBytes,
    bufferBytes,
    temporalTerms: host.temporalTerms,
    styleMaskCount: host.styleMaskCount,
  };
  const memory = planMemory(job, budget, s.maxMemory === undefined);
  if (bindingBytes !== undefined && bufferBytes !== undefined) checkDevice(job, memory, { bindingBytes, bufferBytes });
  return {
    scales,
    lr: s.lr ?? DEFAULT_LR[s.optimizer],
    lrDecay: s.lrDecay,
    optimizer,
    loss,
    styleBlend: s.styleBlend,
    styleScale: s.styleScale,
    init: s.init,
    seed: s.seed,
    originalColors: s.originalColors,
    colorTransfer: s.colorTransfer,
    average: s.average,
    pooling: s.pooling,
    printEvery: s.printEvery,
    saveEvery: s.saveEvery,
    autotune: s.autotune,
    memory,
  };
}

/**
 * The plan against the device, in this order (the first refusal is the one given): L-BFGS's vectors
 * within its largest buffer (its refusal says more than the budget's), each scale within the memory
 * budget, every tensor within the buffer and binding limits.
 */
function checkDevice(job: MemoryJob & { loss: LossConfig }, memory: MemoryPlan, limits: DeviceLimits): void {
  const { optimizer, scales } = job;
  if (optimizer?.kind === 'lbfgs') {
    const fits = (history: number) =>
      !planMemory({ ...job, optimizer: { ...optimizer, history } }, memory.budgetMiB, memory.isDefault).over;
    checkLbfgsMemory(limits.bufferBytes, optimizer, scales, { mib: memory.budgetMiB, fits });
  }
  checkMemory(memory);
  for (const s of scales) {
    const over = tensorOverLimit(deepestLayer(job.loss), s.width, s.height, { ...limits, optimizer });
    if (over)
      throw new TensorTooLargeError(over.shape, over.bytes, over.limitBytes, `the ${s.width}×${s.height} scale: ${over.name}`, over.limit);
  }
}

/** Each setting against its declared kind and range; then the one rule that spans several. */
function checkEach(s: StyleSettings): void {
  for (const [key, spec] of Object.entries(SETTINGS) as Array<[keyof StyleSettings, OptionSpec]>) {
    const value = s[key];
    if (value === undefined) continue;
    const reason = invalidReason(spec, value);
    if (reason) throw new OptionError(key, value, reason);
  }
  const weights = ['contentWeight', 'styleWeight', 'tvWeight'] as const;
  if (weights.every((key) => s[key] === 0) && !s.histogramWeight) {
    throw new OptionError(
      weights,
      weights.map((key) => s[key]),
      'are all 0, which leaves nothing to optimise: give at least one of them a weight > 0',
    );
  }
}

const LBFGS_ONLY = ['lbfgsHistory', 'lineSearch', 'toleranceChange', 'toleranceGrad'] as const;

/** L-BFGS is not the seed preset's optimiser; its own settings need it. */
function checkOptimizer(s: StyleSettings, given: Partial<StyleSettings>): void {
  if (s.optimizer === 'lbfgs' && s.preset === 'seed') {
    throw new OptionError(
      ['optimizer', 'preset'],
      [s.optimizer, s.preset],
      "are lbfgs and seed, which do not go together: the seed preset is Adam's schedule (its learning rate and its decay); " +
        'leave the preset out to run L-BFGS on the pyramid of scales, or use adam',
    );
  }
  const lbfgsOnly = LBFGS_ONLY.find((key) => given[key] !== undefined);
  if (s.optimizer !== 'lbfgs' && lbfgsOnly) {
    throw new OptionError(lbfgsOnly, given[lbfgsOnly], 'is an L-BFGS setting: choose the lbfgs optimizer, or leave it out with adam');
  }
}

function optimizerPlan(s: StyleSettings): OptimizerPlan {
  if (s.optimizer === 'adam') return { kind: 'adam' };
  const { lbfgsHistory: history, lineSearch, toleranceChange, toleranceGrad } = s;
  return {
    kind: 'lbfgs',
    history,
    lineSearch,
    ...(toleranceChange === undefined ? {} : { toleranceChange }),
    ...(toleranceGrad === undefined ? {} : { toleranceGrad }),
  };
}

/** Layer indices for a list of indices and names, each layer once. */
function layerList(key: 'contentLayers' | 'styleLayers' | 'histogramLayers', layers: ReadonlyArray<number | string>): number[] {
  const shown = layers.join(',');
  if (layers.length === 0) throw new OptionError(key, shown, 'must name at least one VGG-19 layer (an index 0–36 or a name like conv4_2)');
  const indices = layers.map((layer) => {
    try {
      return layerIndex(layer);
    } catch (err) {
      if (err instanceof UserError) throw new OptionError(key, shown, `must be VGG-19 layers (${err.message})`);
      throw err;
    }
  });
  indices.forEach((index, i) => {
    const first = indices.indexOf(index);
    if (first === i) return;
    const name = VGG19_FEATURES[index]!.name;
    const twice =
      String(layers[first]).trim() === String(layers[i]).trim()
        ? `${String(layers[i]).trim()} twice`
        : `${String(layers[first]).trim()} and ${String(layers[i]).trim()}, both ${name}`;
    throw new OptionError(key, shown, `must name each layer once, got ${twice}: remove the duplicate`);
  });
  return indices;
}

/** One weight >= 0 per style layer, not all 0. */
function checkStyleLayerWeights(weights: readonly number[] | undefined, styleLayers: readonly number[]): void {
  if (!weights) return;
  const shown = weights.join(',');
  if (weights.length !== styleLayers.length) {
    throw new OptionError(
      'styleLayerWeights',
      weights,
      `needs one weight per style layer (${styleLayers.length}: ${styleLayers.map((i) => VGG19_FEATURES[i]!.name).join(', ')}), got ${weights.length}: ${shown}`,
    );
  }
}

/** One weight >= 0 per style image, not all 0; and style images when the style term, the histogram term or colour transfer needs them. */
function checkStyleBlend(s: StyleSettings, styleCount: number | undefined): void {
  if (styleCount === 0 && s.styleWeight !== 0) {
    throw new OptionError(
      'styleWeight',
      s.styleWeight,
      `is ${s.styleWeight} but there is no style image: give a style image, or set it to 0`,
    );
  }
  if (styleCount === 0 && s.histogramWeight !== 0) {
    const why = `is ${s.histogramWeight} but there is no style image to match the histograms to: give a style image, or set it to 0`;
    throw new OptionError('histogramWeight', s.histogramWeight, why);
  }
  if (styleCount === 0 && s.colorTransfer !== 'none') {
    const what = s.colorTransfer === 'style' ? 'to take the colours from' : 'to give the colours to';
    throw new OptionError(
      'colorTransfer',
      s.colorTransfer,
      `is ${s.colorTransfer} but there is no style image ${what}: give a style image, or set it to none`,
    );
  }
  const blend = s.styleBlend;
  if (!blend) return;
  const shown = blend.join(',');
  if (styleCount !== undefined && blend.length !== styleCount) {
    throw new OptionError('styleBlend', blend, `needs one weight per style image (${styleCount}), got ${blend.length}: ${shown}`);
  }
}

/**
 * Every scale keeps the deepest layer used at least 1 px: each VGG pool before it halves the image.
 * A content image 4 or more times as long as it is wide (or tall) is named: its shape is the cause.
 */
function checkScaleSizes(
  scales: readonly Scale[],
  layers: readonly number[],
  content: { width: number; height: number; name?: string },
): void {
  const deepest = Math.max(0, ...layers);
  const minSide = minimumSide(deepest);
  const small = scales.find((x) => Math.min(x.width, x.height) < minSide);
  if (!small) return;
  const [long, short] = [Math.max(content.width, content.height), Math.min(content.width, content.height)];
  const elongated = long >= 4 * short;
  const image = `${content.name ?? 'the content image'} (${content.width}×${content.height} pixels, ${+(long / short).toPrecision(3)}:1)`;
  const tooSmall = `too small for layer ${deepest}, which needs at least ${minSide} px on the short side`;
  const largest = scales.at(-1)!;
  if (elongated && Math.min(largest.width, largest.height) < minSide) {
    const one = scales.length === 1;
    throw new OptionError(
      one ? 'size' : ['size', 'scales'],
      [largest.width, largest.height],
      `${one ? 'makes' : 'make'} a ${largest.width}×${largest.height} scale of ${image}, ${tooSmall}: crop the image to a less ` +
        `elongated shape, or use a size of at least ${Math.ceil((minSide * long) / short)}${one ? '' : ' and one scale'}`,
    );
  }
  throw new OptionError(
    ['size', 'scales'],
    [small.width, small.height],
    `make a ${small.width}×${small.height} scale${elongated ? ` of ${image}` : ''}, ${tooSmall}: use a larger size or fewer scales`,
  );
}
