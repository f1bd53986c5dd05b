// What a person sets (sizes, steps, weights, layers...) and its defaults, turned into a job plan.
// Shared by the CLI, the library API and the web page.

import { OptionError, UserError } from '../util/errors.js';
import { layerIndex, VGG19_FEATURES, type Pooling } from '../vgg/index.js';
import type { RgbaImage } from './image-tensor.js';
import type { StyleOptions } from './job.js';
import { SEED_LOSS } from './loss.js';
import { pyramid, seedPreset } from './schedule.js';

export interface StyleSettings {
  /** Longest side of the final image, px. */
  size: number;
  /** Pyramid levels, each twice the size of the one before; 1 = one pass at `size`. */
  scales: number;
  /** Adam steps per scale. */
  steps: number;
  lr: number;
  lrDecay: number;
  lrDecayEvery: number;
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  contentLayers: ReadonlyArray<number | string>;
  styleLayers: ReadonlyArray<number | string>;
  styleLayerWeights?: readonly number[];
  styleBlend?: readonly number[];
  styleScale: number;
  init: 'content' | 'random' | RgbaImage;
  seed: number;
  originalColors: boolean;
  pooling: Pooling;
  printEvery: number;
  saveEvery: number;
  /** Time the conv3x3 variants on this adapter before each scale and use the fastest (cached). */
  autotune: boolean;
  /** 'seed': the seed's two passes, 500 steps at 200×100 then 300 at 560×320 (size, scales and steps are ignored). */
  preset?: 'seed';
  /** With preset seed: multiply its step counts (tests use a fraction). */
  presetStepsScale?: number;
}

export const DEFAULT_SETTINGS: StyleSettings = {
  size: 512,
  scales: 3,
  steps: 300,
  lr: 0.01,
  lrDecay: 0.1,
  lrDecayEvery: 200,
  contentWeight: SEED_LOSS.contentWeight,
  styleWeight: SEED_LOSS.styleWeight,
  tvWeight: SEED_LOSS.tvWeight,
  contentLayers: SEED_LOSS.contentLayers,
  styleLayers: SEED_LOSS.styleLayers,
  styleScale: 1,
  init: 'content',
  seed: 1,
  originalColors: false,
  pooling: 'max',
  printEvery: 50,
  saveEvery: 0,
  autotune: true,
};

/**
 * Checks every setting and turns them into a job plan. `styleCount` (the number of style images)
 * lets it check --style-blend against them and refuse a style weight without style images; when
 * it is not given those two checks are left out. Throws OptionError naming the setting by its key.
 */
export function planJob(settings: Partial<StyleSettings>, contentWidth: number, contentHeight: number, styleCount?: number): StyleOptions {
  // Keys present but undefined (an option not given) keep their defaults.
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const s: StyleSettings = { ...DEFAULT_SETTINGS, ...given };
  checkNumbers(s);
  const contentLayers = layerList('contentLayers', s.contentLayers);
  const styleLayers = layerList('styleLayers', s.styleLayers);
  checkStyleLayerWeights(s.styleLayerWeights, styleLayers);
  checkStyleBlend(s, styleCount);
  const scales = s.preset === 'seed' ? seedPreset(s.presetStepsScale) : pyramid(contentWidth, contentHeight, s.size, s.scales, s.steps, s.lrDecayEvery);
  return {
    scales,
    lr: s.lr,
    lrDecay: s.lrDecay,
    loss: {
      contentLayers,
      styleLayers,
      styleLayerWeights: s.styleLayerWeights,
      contentWeight: s.contentWeight,
      styleWeight: s.styleWeight,
      tvWeight: s.tvWeight,
    },
    styleBlend: s.styleBlend,
    styleScale: s.styleScale,
    init: s.init,
    seed: s.seed,
    originalColors: s.originalColors,
    pooling: s.pooling,
    reportEvery: s.printEvery,
    snapshotEvery: s.saveEvery,
    autotune: s.autotune,
  };
}

const MAX_SEED = 2 ** 32 - 1;

function checkNumbers(s: StyleSettings): void {
  const whole = (key: keyof StyleSettings, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new OptionError(key, v, `must be a whole number >= ${min}, got ${v}`);
  };
  for (const key of ['size', 'scales', 'steps', 'lrDecayEvery', 'printEvery'] as const) whole(key, s[key], 1);
  whole('saveEvery', s.saveEvery, 0);
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > MAX_SEED) throw new OptionError('seed', s.seed, `must be a whole number from 0 to ${MAX_SEED}, got ${s.seed}`);
  for (const key of ['lr', 'styleScale'] as const) {
    if (!(s[key] > 0) || !Number.isFinite(s[key])) throw new OptionError(key, s[key], `must be a number > 0, got ${s[key]}`);
  }
  if (s.presetStepsScale !== undefined && !(s.presetStepsScale > 0 && Number.isFinite(s.presetStepsScale))) {
    throw new OptionError('presetStepsScale', s.presetStepsScale, `must be a number > 0, got ${s.presetStepsScale}`);
  }
  const weights = ['contentWeight', 'styleWeight', 'tvWeight'] as const;
  for (const key of [...weights, 'lrDecay'] as const) {
    if (!(s[key] >= 0) || !Number.isFinite(s[key])) throw new OptionError(key, s[key], `must be a number >= 0, got ${s[key]}`);
  }
  if (weights.every((key) => s[key] === 0)) {
    throw new OptionError(weights, weights.map((key) => s[key]), 'are all 0, which leaves nothing to optimise: give at least one of them a weight > 0');
  }
  if (s.pooling !== 'max' && s.pooling !== 'avg') throw new OptionError('pooling', s.pooling, `must be max or avg, got ${String(s.pooling)}`);
  if (s.preset !== undefined && s.preset !== 'seed') throw new OptionError('preset', s.preset, `must be seed, got ${String(s.preset)}`);
}

/** Layer indices for a list of indices and names, each layer once. */
function layerList(key: 'contentLayers' | 'styleLayers', layers: ReadonlyArray<number | string>): number[] {
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
    const twice = String(layers[first]).trim() === String(layers[i]).trim() ? `${String(layers[i]).trim()} twice` : `${String(layers[first]).trim()} and ${String(layers[i]).trim()}, both ${name}`;
    throw new OptionError(key, shown, `must name each layer once, got ${twice}: remove the duplicate`);
  });
  return indices;
}

/** One weight >= 0 per style layer, not all 0. */
function checkStyleLayerWeights(weights: readonly number[] | undefined, styleLayers: readonly number[]): void {
  if (!weights) return;
  const shown = weights.join(',');
  if (weights.length !== styleLayers.length) {
    throw new OptionError('styleLayerWeights', weights, `needs one weight per style layer (${styleLayers.length}: ${styleLayers.map((i) => VGG19_FEATURES[i]!.name).join(', ')}), got ${weights.length}: ${shown}`);
  }
  if (weights.some((w) => !(w >= 0) || !Number.isFinite(w)) || weights.every((w) => w === 0)) {
    throw new OptionError('styleLayerWeights', weights, `must be numbers >= 0, not all 0, got ${shown}`);
  }
}

/** One weight >= 0 per style image, not all 0; and style images when the style term counts. */
function checkStyleBlend(s: StyleSettings, styleCount: number | undefined): void {
  if (styleCount === 0 && s.styleWeight !== 0) {
    throw new OptionError('styleWeight', s.styleWeight, `is ${s.styleWeight} but there is no style image: give a style image, or set it to 0`);
  }
  const blend = s.styleBlend;
  if (!blend) return;
  const shown = blend.join(',');
  if (styleCount !== undefined && blend.length !== styleCount) {
    throw new OptionError('styleBlend', blend, `needs one weight per style image (${styleCount}), got ${blend.length}: ${shown}`);
  }
  if (blend.some((b) => !(b >= 0) || !Number.isFinite(b)) || (blend.length > 0 && blend.every((b) => b === 0))) {
    throw new OptionError('styleBlend', blend, `must be numbers >= 0, not all 0, got ${shown}`);
  }
}
