// The one walk of VGG-19's shapes for an image of height×width: each module's input and output
// [channels, height, width] (a 2×2 pool halves the sides, odd sizes floored). The memory plan, the
// convolutions a step tunes and the benchmarks all read it.

import { VGG19_FEATURES, type VggModule } from './layers.js';

export type FeatureShape = [channels: number, height: number, width: number];

export interface ModuleShape {
  module: VggModule;
  input: FeatureShape;
  output: FeatureShape;
}

/** Modules 0…upTo (default all) with their input and output shapes for an image of height×width. */
export function moduleShapes(height: number, width: number, upTo = VGG19_FEATURES.length - 1): ModuleShape[] {
  let input: FeatureShape = [3, height, width];
  return VGG19_FEATURES.slice(0, upTo + 1).map((module) => {
    const [c, h, w] = input;
    const output: FeatureShape = module.kind === 'pool' ? [c, Math.floor(h / 2), Math.floor(w / 2)] : [module.cout, h, w];
    const shape = { module, input, output };
    input = output;
    return shape;
  });
}

/** Module `index`'s output [channels, height, width] for an image of height×width. */
export function featureShape(index: number, height: number, width: number): FeatureShape {
  return moduleShapes(height, width, index).at(-1)!.output;
}

/**
 * The convolutions a style step runs for an H×W image up to module `upTo`: each conv forward
 * ([1, cin, h, w] -> cout) and its input gradient ([1, cout, h, w] -> cin).
 */
export function convShapesForStep(
  height: number,
  width: number,
  upTo: number,
): Array<{ shape: [number, number, number, number]; cout: number }> {
  return moduleShapes(height, width, upTo)
    .filter(({ module }) => module.kind === 'conv')
    .flatMap(({ module: m, input: [, h, w] }) => [
      { shape: [1, m.cin, h, w] as [number, number, number, number], cout: m.cout },
      { shape: [1, m.cout, h, w] as [number, number, number, number], cout: m.cin },
    ]);
}
