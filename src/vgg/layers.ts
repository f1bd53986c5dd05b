// VGG-19's `features` stack as torchvision numbers it: 16 conv3x3+ReLU pairs in five blocks
// (64,64 | 128,128 | 256×4 | 512×4 | 512×4), each block ending in a 2×2 pool (indices 4, 9, 18, 27, 36).
// Index i names the output of module i: 0 is conv1_1 before its ReLU, 1 is relu1_1, 4 is pool1.

import { UserError } from '../util/errors.js';
export type ModuleKind = 'conv' | 'relu' | 'pool';

export interface VggModule {
  index: number;
  kind: ModuleKind;
  /** conv1_1, relu1_1, pool1, ... */
  name: string;
  /** For convs (and their ReLUs): channels in and out. */
  cin: number;
  cout: number;
}

const BLOCKS: readonly number[][] = [
  [64, 64],
  [128, 128],
  [256, 256, 256, 256],
  [512, 512, 512, 512],
  [512, 512, 512, 512],
];

function buildModules(): VggModule[] {
  const modules: VggModule[] = [];
  let channels = 3;
  BLOCKS.forEach((block, b) => {
    block.forEach((cout, j) => {
      const id = `${b + 1}_${j + 1}`;
      modules.push({ index: modules.length, kind: 'conv', name: `conv${id}`, cin: channels, cout });
      modules.push({ index: modules.length, kind: 'relu', name: `relu${id}`, cin: cout, cout });
      channels = cout;
    });
    modules.push({ index: modules.length, kind: 'pool', name: `pool${b + 1}`, cin: channels, cout: channels });
  });
  return modules;
}

export const VGG19_FEATURES: readonly VggModule[] = buildModules();
export const VGG19_CONVS: readonly VggModule[] = VGG19_FEATURES.filter((m) => m.kind === 'conv');

/** Keras calls conv1_1 "block1_conv1". */
export function kerasName(convName: string): string {
  const match = /^conv(\d)_(\d)$/.exec(convName);
  if (!match) throw new Error(`not a VGG-19 conv name: ${convName}`);
  return `block${match[1]}_conv${match[2]}`;
}

/**
 * A layer given by index ("25", 25) or by name (conv4_2, relu4_2, pool3, block4_conv2).
 * Throws an error listing the accepted forms.
 */
export function layerIndex(layer: string | number): number {
  const text = String(layer).trim();
  if (/^\d+$/.test(text)) {
    const index = Number(text);
    if (index < VGG19_FEATURES.length) return index;
    throw new UserError(`VGG-19 layer index ${index} is out of range: features has indices 0–${VGG19_FEATURES.length - 1}`);
  }
  const keras = /^block(\d)_conv(\d)$/.exec(text);
  const name = keras ? `conv${keras[1]}_${keras[2]}` : text.toLowerCase();
  const found = VGG19_FEATURES.find((m) => m.name === name);
  if (!found) {
    throw new UserError(`unknown VGG-19 layer "${text}": use an index 0–36 or a name like conv4_2, relu3_1, pool2 or block4_conv2`);
  }
  return found.index;
}

/** Weight tensor names and shapes for the convs up to module `upTo` (inclusive). */
export function expectedTensors(upTo: number): Array<{ name: string; shape: number[] }> {
  return VGG19_CONVS.filter((m) => m.index <= upTo).flatMap((m) => [
    { name: `${m.name}.weight`, shape: [m.cout, m.cin, 3, 3] },
    { name: `${m.name}.bias`, shape: [m.cout] },
  ]);
}

/** The smallest image side that keeps module `deepestLayer`'s input at least 1 px: each pool before it halves the image. */
export function minimumSide(deepestLayer: number): number {
  return 2 ** VGG19_FEATURES.filter((m) => m.kind === 'pool' && m.index < deepestLayer).length;
}
