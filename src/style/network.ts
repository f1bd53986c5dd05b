// VGG-19 as the style loss sees it: images in the normalised space, converted to the weights' own
// input convention by a differentiable op in front of conv1_1.

import { ops, type Tape, type Tensor } from '../graph/index.js';
import type { ChannelAffine } from '../kernels/index.js';
import type { Vgg19 } from '../vgg/index.js';
import { inputScale, normalizedToNetwork } from './convention.js';

export class StyleNetwork {
  readonly toNetwork: ChannelAffine | null;
  /** See inputScale(): ≈ 57.6 for Caffe weights, 1 for torchvision's. */
  readonly inputScale: number;

  constructor(readonly vgg: Vgg19) {
    this.toNetwork = normalizedToNetwork(vgg.input);
    this.inputScale = inputScale(vgg.input);
  }

  features(tape: Tape, seedImage: Tensor, layers: readonly number[]): Map<number, Tensor> {
    const input = this.toNetwork ? ops.channelAffine(tape, seedImage, this.toNetwork) : seedImage;
    return this.vgg.extract(tape, input, layers);
  }
}
