// VGG-19 features and the style-transfer loss in float64, composed from the kernel oracles.

import type { VggWeights } from '../../src/vgg/index.js';
import { VGG19_FEATURES } from '../../src/vgg/index.js';
import * as oracle from './oracle.js';

export interface Feature {
  shape: [number, number, number, number];
  data: Float64Array;
}

export function vggForward(
  weights: VggWeights,
  image: ArrayLike<number>,
  shape: readonly number[],
  layers: readonly number[],
): Map<number, Feature> {
  const out = new Map<number, Feature>();
  let x: Feature = { shape: [...shape] as Feature['shape'], data: Float64Array.from(image) };
  const deepest = Math.max(...layers);
  for (const m of VGG19_FEATURES.slice(0, deepest + 1)) {
    const [n, , h, w] = x.shape;
    if (m.kind === 'conv') {
      const weight = weights.tensors.get(`${m.name}.weight`)!.data;
      const bias = weights.tensors.get(`${m.name}.bias`)!.data;
      x = { shape: [n, m.cout, h, w], data: oracle.conv3x3(x.data, x.shape, weight, m.cout, bias) };
    } else if (m.kind === 'relu') x = { shape: x.shape, data: oracle.relu(x.data) };
    else x = { shape: [n, x.shape[1], Math.floor(h / 2), Math.floor(w / 2)], data: oracle.maxPool(x.data, x.shape) };
    if (layers.includes(m.index)) out.set(m.index, x);
  }
  return out;
}

export interface OracleLossConfig {
  contentLayers: readonly number[];
  styleLayers: readonly number[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
}

export function oracleTargets(
  weights: VggWeights,
  content: ArrayLike<number>,
  style: ArrayLike<number>,
  shape: readonly number[],
  c: OracleLossConfig,
) {
  const cf = vggForward(weights, content, shape, c.contentLayers);
  const sf = vggForward(weights, style, shape, c.styleLayers);
  return {
    content: new Map([...cf].map(([l, f]) => [l, f.data])),
    grams: new Map([...sf].map(([l, f]) => [l, oracle.gram(f.data, f.shape)])),
  };
}

export function oracleLoss(
  weights: VggWeights,
  image: ArrayLike<number>,
  shape: readonly number[],
  targets: ReturnType<typeof oracleTargets>,
  c: OracleLossConfig,
): { total: number; content: number; style: number; tv: number } {
  const f = vggForward(weights, image, shape, [...c.contentLayers, ...c.styleLayers]);
  let content = 0;
  for (const l of c.contentLayers) content += oracle.mse(f.get(l)!.data, targets.content.get(l)!);
  let style = 0;
  for (const l of c.styleLayers) style += oracle.mse(oracle.gram(f.get(l)!.data, f.get(l)!.shape), targets.grams.get(l)!);
  const tv = oracle.tv(image, shape as oracle.Shape4);
  return { total: c.contentWeight * content + c.styleWeight * style + c.tvWeight * tv, content, style, tv };
}
