// What a person sets (sizes, steps, weights, layers...) and its defaults, turned into a job plan.
// Shared by the CLI, the library API and the web page.

import { UserError } from '../util/errors.js';
import { layerIndex, type Pooling } from '../vgg/index.js';
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

export function planJob(settings: Partial<StyleSettings>, contentWidth: number, contentHeight: number): StyleOptions {
  // Keys present but undefined (an option not given) keep their defaults.
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const s: StyleSettings = { ...DEFAULT_SETTINGS, ...given };
  const positive = (name: string, v: number) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new UserError(`${name} must be a number > 0, got ${v}`);
  };
  const whole = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`${name} must be a whole number >= 1, got ${v}`);
  };
  whole('size', s.size);
  whole('scales', s.scales);
  whole('steps', s.steps);
  whole('lrDecayEvery', s.lrDecayEvery);
  whole('printEvery', s.printEvery);
  positive('lr', s.lr);
  positive('styleScale', s.styleScale);
  for (const [name, v] of [['contentWeight', s.contentWeight], ['styleWeight', s.styleWeight], ['tvWeight', s.tvWeight], ['lrDecay', s.lrDecay]] as const) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new UserError(`${name} must be a number >= 0, got ${v}`);
  }
  if (!Number.isInteger(s.saveEvery) || s.saveEvery < 0) throw new UserError(`saveEvery must be a whole number >= 0, got ${s.saveEvery}`);
  const styleLayers = s.styleLayers.map(layerIndex);
  if (s.styleLayerWeights && s.styleLayerWeights.length !== styleLayers.length) {
    throw new UserError(`styleLayerWeights has ${s.styleLayerWeights.length} values for ${styleLayers.length} style layers`);
  }
  const scales = s.preset === 'seed' ? seedPreset(s.presetStepsScale) : pyramid(contentWidth, contentHeight, s.size, s.scales, s.steps, s.lrDecayEvery);
  return {
    scales,
    lr: s.lr,
    lrDecay: s.lrDecay,
    loss: {
      contentLayers: s.contentLayers.map(layerIndex),
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
