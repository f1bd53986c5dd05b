// A tensor in the autodiff graph: a device tensor plus whether a gradient flows to it. A tape may
// drop the device tensor of a value it can make again (checkpointing, tape.ts) and hold a
// recomputed one later; the Tensor, its shape and its place in the graph stay.

import type { DeviceTensor, Shape } from '../gpu/index.js';

export class Tensor {
  readonly shape: Shape;
  private current: DeviceTensor;
  private held = true;

  constructor(
    value: DeviceTensor,
    readonly requiresGrad: boolean,
    readonly name = '',
  ) {
    this.current = value;
    this.shape = value.shape;
  }

  /** The device tensor; once its tape dropped it, only its shape may be used (its buffer throws). */
  get value(): DeviceTensor {
    return this.current;
  }

  /** Whether the value is on the device now (a tape may have dropped it to recompute it later). */
  get resident(): boolean {
    return this.held;
  }

  /** Tape only: marks the value gone and returns it, for the tape to release. */
  drop(): DeviceTensor {
    this.held = false;
    return this.current;
  }

  /** Tape only: the value made again by recomputation. */
  hold(value: DeviceTensor): void {
    if (value.shape.join() !== this.shape.join()) throw new Error(`recomputed [${value.shape}] for a tensor of shape [${this.shape}]`);
    this.current = value;
    this.held = true;
  }

  /** A leaf: an input the graph does not compute (the image, the weights, a target). */
  static leaf(value: DeviceTensor, requiresGrad = false, name = ''): Tensor {
    return new Tensor(value, requiresGrad, name);
  }
}
