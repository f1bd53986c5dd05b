// A tensor in the autodiff graph: a device tensor plus whether a gradient flows to it.

import type { DeviceTensor, Shape } from '../gpu/index.js';

export class Tensor {
  constructor(
    readonly value: DeviceTensor,
    readonly requiresGrad: boolean,
    readonly name = '',
  ) {}

  get shape(): Shape {
    return this.value.shape;
  }

  /** A leaf: an input the graph does not compute (the image, the weights, a target). */
  static leaf(value: DeviceTensor, requiresGrad = false, name = ''): Tensor {
    return new Tensor(value, requiresGrad, name);
  }
}
