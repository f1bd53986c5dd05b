// wgpu-style's library entry for Node. (The browser-safe core is everything under src but node,
// web and cli: util, gpu, kernels, graph, vgg, optim, style, plan and io; test/layers.test.ts checks it.)

export { readCheckpoint, stylize, type StylizeOptions } from './node/stylize.js';
export { stylizeVideo, type StylizeVideoOptions, type StylizeVideoResult } from './node/video.js';
export { runBatch, type BatchHooks, type BatchSummary, type SummaryEntry } from './batch/local.js';
export type { BatchSpec } from './batch/prepare.js';
export { BatchRunner, type ImageJob, type RunnerOptions } from './batch/runner.js';
export type { VideoProgress, VideoResult } from './video/job.js';
export { createNodeContext, type NodeGpuOptions } from './node/gpu.js';
export { readImage, writeImage } from './node/image-files.js';
export { decodeImage, encodeImage, DEFAULT_MAX_PIXELS } from './io/image.js';
export type { Checkpoint } from './io/checkpoint-file.js';
export type { JobState } from './style/job-state.js';
export { OptionError, UserError } from './util/errors.js';
export { ensureWeights, DEFAULT_WEIGHTS } from './node/weights-cache.js';
export { readWeightsFile, writeWeightsFile, convertTfjsFolder } from './node/weights-files.js';
export { convertKerasH5 } from './node/keras-h5.js';
export { convertWeightsFile } from './node/weights-convert.js';
export { syntheticWeights } from './io/weights/synthetic.js';
export { runStyleJob, type StyleHooks, type StyleOptions, type StyleProgress, type StyleResult } from './style/job.js';
export { planJob, type JobPlan } from './plan/plan-job.js';
export { DEFAULT_SETTINGS, type StyleSettings } from './plan/settings.js';
export type { RgbaImage } from './style/image-tensor.js';
export type { VggWeights } from './vgg/index.js';
