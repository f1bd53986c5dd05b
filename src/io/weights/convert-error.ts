// The error every weights reader and converter throws (whatever the format: Keras, TF.js, PyTorch,
// MXNet, zip, the .bin): a UserError, so the CLI prints its message without a stack.

import { UserError } from '../../util/errors.js';

export class ConvertError extends UserError {
  /**
   * When a layer is missing from a file that holds the ones before it: the last layer (its index)
   * that could be converted. `weights convert` words it as its --up-to; a style run has no such option.
   */
  readonly upTo?: number;

  constructor(message: string, options?: { cause?: unknown; upTo?: number }) {
    super(message);
    if (options && 'cause' in options) this.cause = options.cause;
    if (options?.upTo !== undefined) this.upTo = options.upTo;
  }
}
