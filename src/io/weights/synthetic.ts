// Deterministic stand-in weights (He-normal init from a seed) with torchvision's input convention:
// lets tests and demos run the whole VGG-19 stack without downloading anything.

import { normalRandom } from '../../util/random.js';
import { TORCHVISION_INPUT, VGG19_CONVS, type VggWeights, type WeightTensor } from '../../vgg/index.js';

export function syntheticWeights(seed = 1, upTo = 28): VggWeights {
  const normal = normalRandom(seed);
  const tensors = new Map<string, WeightTensor>();
  for (const m of VGG19_CONVS.filter((c) => c.index <= upTo)) {
    const std = Math.sqrt(2 / (m.cin * 9));
    const weight = new Float32Array(m.cout * m.cin * 9).map(() => normal() * std);
    const bias = new Float32Array(m.cout).map(() => normal() * 0.01);
    tensors.set(`${m.name}.weight`, { shape: [m.cout, m.cin, 3, 3], data: weight });
    tensors.set(`${m.name}.bias`, { shape: [m.cout], data: bias });
  }
  return {
    architecture: 'vgg19',
    tensors,
    input: { ...TORCHVISION_INPUT },
    provenance: { source: 'synthetic', init: 'He normal', seed: String(seed) },
  };
}
