// What a style job takes and gives: its plan (from planJob), its hooks and its result.

import type { DeviceTensor } from '../gpu/index.js';
import type { RgbaImage } from './image-tensor.js';
import type { CheckpointHooks, JobState } from './job-state.js';
import type { LossConfig } from './loss.js';
import type { OptimizerPlan } from '../optim/types.js';
import type { Pooling } from '../vgg/index.js';

/** One scale of a job: the image's size, its steps, and how often Adam's learning rate decays. */
export interface Scale {
  width: number;
  height: number;
  steps: number;
  /** The learning rate is multiplied by lrDecay every this many steps (restarting each scale). */
  lrDecayEvery: number;
}

/** What the job takes of its memory plan (src/plan/memory-plan.ts's MemoryPlan, which planJob checked). */
export interface JobMemory {
  budgetMiB: number;
  /** Per scale: whether it recomputes (checkpointing), and the bytes of Winograd weights it may keep. */
  scales: ReadonlyArray<{ recompute: boolean; winogradCacheBytes: number }>;
}

export interface StyleOptions {
  scales: Scale[];
  /** Adam's learning rate, or L-BFGS's step length. */
  lr: number;
  /** Adam's learning-rate factor applied every scale.lrDecayEvery steps. */
  lrDecay: number;
  /** Adam when absent. */
  optimizer?: OptimizerPlan;
  loss: LossConfig;
  /** Divide content/style terms by the weights' input scale (see convention.ts). Default true. */
  normalizeConvention?: boolean;
  /** One weight per style image (normalised to sum 1); default equal. */
  styleBlend?: readonly number[];
  /** Style images are resized to this many times the working size's longest side. */
  styleScale: number;
  /**
   * The first scale's starting image: the content, noise (from `seed`), an image, or a tensor in the
   * normalised space [1, 3, h, w] (a video's warped previous output; resized if not the scale's size).
   */
  init: 'content' | 'random' | RgbaImage | { normalized: DeviceTensor };
  seed: number;
  originalColors: boolean;
  /**
   * Colours matched before optimising: 'style' recolours the content (and so the start) with the
   * style images' colour distribution, 'content' the style images with the content's.
   */
  colorTransfer: 'none' | 'style' | 'content';
  /** Each scale's output is the moving average of its iterates with this decay; 0 = the last iterate. */
  average: number;
  /**
   * Spatial control (src/style/masks.ts): one mask per style image, in order, white where that style
   * goes; set by the edge beside the style images (planJob does not make it). Absent: styles blend.
   */
  styleMasks?: readonly RgbaImage[];
  /** The masks' names in messages (their files); default "style mask 1", … */
  styleMaskNames?: readonly string[];
  pooling: Pooling;
  /** Report losses every this many steps (and at each scale's first and last step). */
  printEvery: number;
  /** Hand out intermediate images every this many steps; 0 = never. */
  saveEvery: number;
  /** Autotune the conv3x3 variants for each scale's shapes first. */
  autotune?: boolean;
  /** Each scale's planned GPU memory and whether it recomputes: planJob's plan, checked against the budget and the device. */
  memory: JobMemory;
}

export interface StyleProgress {
  scale: number;
  scales: number;
  /** Loss evaluations made in this scale (Adam: its steps). */
  step: number;
  steps: number;
  /** The optimiser's iteration (1-based, in this scale) that made this evaluation (Adam: the step; L-BFGS: one per direction). */
  iteration: number;
  /** Loss evaluations made in the whole run so far. */
  evaluations: number;
  width: number;
  height: number;
  /** Unweighted (convention-normalised) terms; null when their weight is 0. */
  content: number | null;
  style: number | null;
  tv: number | null;
  /** A video frame's temporal term (unweighted); null for a still image or when its weight is 0. */
  temporal: number | null;
  /** Risser et al.'s histogram term (unweighted); null when --histogram-weight is 0. */
  histogram: number | null;
  total: number;
  seconds: number;
  /** Seconds per evaluation since the last report. */
  stepSeconds: number;
  /** On a scale's last report when a tolerance ended it before its steps: which one, with its numbers. */
  ended?: string;
}

/**
 * A phase of a run starting or making progress, so that no minute passes silently: 'loading' (the
 * edges: the device, the weights), 'tuning' (done of total conv shapes timed), 'targets' (the style
 * and content targets: done 0 of 1 at the start, 1 of 1 at the end) and 'steps' (a scale's first step
 * starting). scale is 1-based (0 while loading); seconds since the run (or, loading, the call) started.
 */
export interface StylePhase {
  phase: 'loading' | 'tuning' | 'targets' | 'steps';
  scale: number;
  scales: number;
  done?: number;
  total?: number;
  detail?: string;
  seconds: number;
}

export interface StyleHooks {
  onProgress?: (progress: StyleProgress) => void;
  /** Each phase as it starts and progresses (src/style/phase-text.ts says it in words). */
  onPhase?: (phase: StylePhase) => void;
  onSnapshot?: (image: RgbaImage, at: { scale: number; step: number }) => void | Promise<void>;
  signal?: AbortSignal;
  /** Notes for a person (a long phase starting). */
  log?: (message: string) => void;
  /** Hand out the optimiser's state now and then (and on abort), to resume from later. */
  checkpoint?: CheckpointHooks;
  /** Go on from this state instead of starting at the first scale. */
  resume?: JobState;
}

export interface StyleResult {
  image: RgbaImage;
  /** Why the run ended early, if it did. */
  stopped: null | 'aborted' | 'diverged';
  message: string | null;
  history: StyleProgress[];
  seconds: number;
}
