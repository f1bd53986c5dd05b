export { adamStep, type AdamHyper } from './adam_step.js';
export { accumulate, add, axpby, scale } from './axpby.js';
export { AxpyDotChain, type AxpyDotStep } from './axpy_dot.js';
export { dot, dotInto } from './dot.js';
export { lossWatch, watchLoss } from './loss_watch.js';
export { norms, normsInto } from './norms.js';
export { conv3x3Forward, conv3x3InputGrad, conv3x3WeightGrad, flipConv3x3Weights } from './conv3x3.js';
export { gramBackward, gramForward, type GramOptions } from './gram.js';
export { gridFor } from './launch.js';
export { avgPool2x2Backward, avgPool2x2Forward } from './avgpool.js';
export { maxPool2x2Backward, maxPool2x2Forward } from './maxpool.js';
export { mseBackward, mseForward } from './mse.js';
export { reduceGroups, sum } from './reduce_sum.js';
export { reluBackward, reluForward } from './relu.js';
export { tvBackward, tvForward } from './tv.js';
export { warpForward } from './warp.js';
export { warpBackward } from './warp_backward.js';
export { temporalLossBackward, temporalLossForward } from './temporal_loss.js';
export { certaintyMix, longTermCertainty } from './certainty.js';
export { channelAffineBackward, channelAffineForward, type ChannelAffine } from './channel_affine.js';
export { originalColors } from './original_colors.js';
export { addDiagonal, matmul, matrixTrace, matrixTraceBackward, scaleByPower, type MatmulOptions } from './matmul.js';
export { momentsBackward, momentsForward, momentsStd, momentsStdBackward, type MomentOrders, type PixelWeights } from './moments.js';
export { SQRTM_ITERATIONS, sqrtmBackward, sqrtmForward, traceSqrtmBackward, traceSqrtmForward, type TraceSqrtm } from './sqrtm.js';
export {
  HISTOGRAM_QUANTILES,
  histogramBins,
  histogramCdf,
  histogramQuantiles,
  histogramRemap,
  quantileTable,
  releaseCdf,
  type ChannelCdf,
} from './histogram.js';
export { colorYiq } from './color_yiq.js';
export { maskScale, type MaskScaleOptions } from './mask_scale.js';
export { maskLuma } from './mask_luma.js';
export { resize } from './resize.js';
export { IMAGE_BAND_BYTES, reduceImage, type ImageReduceOptions } from './image_reduce.js';
export { autotuneConv, type ConvShape, type TuneResult } from './autotune.js';
export { Tuning, tuningFor, type TuningStore } from './tuning.js';
export { type ConvOptions } from './conv3x3.js';
export type { ConvCall } from './conv3x3_call.js';
export { CONV_VARIANTS, convTuningKey, convVariantsFor, FEW_TILES, type ConvVariant } from './conv3x3_variants.js';
export {
  conv3x3Winograd,
  limitWinogradCache,
  releaseWinogradWeights,
  WINOGRAD_CACHE_TILES,
  WINOGRAD_SCRATCH_BYTES,
  winogradCacheBytes,
  winogradTiles,
  type WinogradConfig,
} from './conv3x3_winograd.js';
