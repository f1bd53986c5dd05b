// The contract between the conv3x3 dispatcher (conv3x3.ts) and the implementations behind its
// variants (conv3x3_winograd.ts, ...): one convolution, already checked, as a variant's `run` gets it.

import type { DeviceTensor } from '../gpu/index.js';

/** One convolution as dispatchConv hands it to a variant's `run`: y = conv3x3(x, w) (+ bias), see ConvOptions in conv3x3.ts. */
export interface ConvCall {
  label: string;
  x: DeviceTensor;
  w: DeviceTensor;
  bias?: DeviceTensor;
  reluInput: boolean;
  mask?: DeviceTensor;
}
