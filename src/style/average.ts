// --average d: crowsonkb's exponential moving average of a scale's iterates, on the device. The
// sum starts at 0 and takes the scale's starting image as its first update, then one per optimiser
// iteration: avg ← d·avg + (1 − d)·x (kernels/axpby); it is read with its bias corrected,
// avg / (1 − dᵗ) after t updates, so that early on it is not pulled towards 0. A checkpoint keeps
// the sum and t as they are, so a resumed run goes on with the same numbers. Browser-safe.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { axpby, scale } from '../kernels/index.js';

/** What a checkpoint keeps of the average: its sum (uncorrected) and its updates t. */
export interface AverageState {
  image: Float32Array;
  updates: number;
}

export class ImageAverage {
  private readonly sum: DeviceTensor;
  private updates = 0;

  /** Starts on `image` (its first update), or goes on from a checkpoint's state. */
  constructor(
    private readonly ctx: GpuContext,
    private readonly decay: number,
    image: DeviceTensor,
    resume?: AverageState,
  ) {
    if (resume) {
      this.sum = ctx.upload(image.shape, resume.image, 'image average');
      this.updates = resume.updates;
    } else {
      this.sum = ctx.zeros(image.shape, 'image average');
      this.update(image);
    }
  }

  /** One more iterate. */
  update(image: DeviceTensor): void {
    axpby(this.ctx, 1 - this.decay, image, this.decay, this.sum);
    this.updates++;
  }

  /** The average, bias-corrected, as a new tensor. */
  value(): DeviceTensor {
    return scale(this.ctx, this.sum, 1 / (1 - this.decay ** this.updates));
  }

  async state(): Promise<AverageState> {
    return { image: await this.sum.read(), updates: this.updates };
  }

  dispose(): void {
    this.sum.release();
  }
}
