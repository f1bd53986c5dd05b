export { adamStep, type AdamHyper } from './adam.js';
export { accumulate, add, axpby, scale } from './axpby.js';
export { conv3x3Forward, conv3x3InputGrad, conv3x3WeightGrad, flipConv3x3Weights } from './conv3x3.js';
export { gramBackward, gramForward } from './gram.js';
export { sum } from './launch.js';
export { avgPool2x2Backward, avgPool2x2Forward, maxPool2x2Backward, maxPool2x2Forward } from './pool.js';
export { mseBackward, mseForward } from './mse.js';
export { reluBackward, reluForward } from './relu.js';
export { tvBackward, tvForward } from './tv.js';
