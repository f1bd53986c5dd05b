// The library API for Node: `stylize({ content, styles, ... })` with paths or decoded images,
// weights from a file, the cache or a download, and a GPU context made (and closed) on demand.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { GpuContext } from '../gpu/index.js';
import { reducedMinSide, type ReduceRequest } from '../io/decode-reduce.js';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  identityDifferences,
  runIdentity,
  type Checkpoint,
  type RunIdentity,
} from '../io/checkpoint-file.js';
import { checkResumable, type CheckpointHooks, type JobState } from '../style/job-state.js';
import type { RgbaImage } from '../style/image-tensor.js';
import { checkStyleMasks } from '../style/masks.js';
import { describeLbfgsMemory } from '../plan/lbfgs-memory.js';
import { describeMemoryPlan } from '../plan/memory-messages.js';
import { runStyleJob, type StyleHooks, type StyleOptions, type StyleResult } from '../style/job.js';
import type { StyleSession } from '../style/session.js';
import { StoppedBeforeStartError, UserError, warning } from '../util/errors.js';
import { planJob, type DeviceLimits } from '../plan/plan-job.js';
import { type StyleSettings } from '../plan/settings.js';
import type { VggWeights } from '../vgg/index.js';
import { assertCheckpointTarget, nodeSha256 } from './checkpoint-files.js';
import { createNodeContext, type NodeGpuOptions } from './gpu.js';
import { openImage } from './image-files.js';
import { PreparedWrite, WriteError } from './safe-write.js';
import { ensureWeights } from './weights-cache.js';

export interface StylizeOptions extends Partial<Omit<StyleSettings, 'init'>>, Omit<StyleHooks, 'checkpoint' | 'resume'> {
  content: string | RgbaImage;
  styles: ReadonlyArray<string | RgbaImage>;
  /** Spatial control: one mask per style image, in order (paths or images), white where that style goes. */
  styleMasks?: ReadonlyArray<string | RgbaImage>;
  /** 'content' (default), 'random', an image, or the path of one. */
  init?: 'content' | 'random' | string | RgbaImage;
  /** A .bin path or loaded weights; default: the cache, downloading Keras's VGG-19 once. */
  weights?: string | VggWeights;
  offline?: boolean;
  cacheDir?: string;
  /** Use this context instead of making one (it is not destroyed). */
  context?: GpuContext;
  gpu?: NodeGpuOptions;
  /** Download progress, when the weights must be fetched. */
  onDownload?: (received: number, total: number | null) => void;
  log?: (message: string) => void;
  /** Refuse image files with more megapixels than this (default DEFAULT_MAX_PIXELS / 1e6, src/io/image.ts), before decoding them. */
  maxMegapixels?: number;
  /** Write a checkpoint file every `every` steps of a scale, and when the run is aborted. */
  checkpoint?: { path: string; every: number; command?: string[] };
  /** Go on from a checkpoint file (or one already read) of a run with the same inputs and settings. */
  resume?: string | Checkpoint;
  /** Called with the plan once the images are read, before any GPU work or download. */
  onPlan?: (plan: StyleOptions) => void;
  /**
   * Run in a warm session instead of one made for this image (a batch's: src/batch/runner.ts keeps
   * the network and the style targets across images); given the styles as read and the checked plan.
   */
  session?: (ctx: GpuContext, weights: VggWeights, styles: RgbaImage[], plan: StyleOptions) => StyleSession;
}

export async function stylize(options: StylizeOptions): Promise<StyleResult> {
  if (options.checkpoint) assertCheckpointTarget(options.checkpoint.path, 'checkpoint', 'out.png.ckpt');
  const contentName = typeof options.content === 'string' ? options.content : undefined;
  const autotune = options.autotune ?? (process.env.WGPU_STYLE_AUTOTUNE === '0' ? false : undefined);
  const host = { memoryBytes: totalmem(), contentName, styleMaskCount: options.styleMasks?.length };
  const { content, styles, styleMasks, init, width, height } = readImages({ ...options, autotune }, host);
  const styleMaskNames = options.styleMasks?.map((m, i) => (typeof m === 'string' ? m : `style mask ${i + 1}`));
  if (styleMasks) checkStyleMasks(styleMasks, styles.length, { width, height, name: contentName }, styleMaskNames);
  const settings = { ...options, autotune, init: init as StyleSettings['init'] | undefined };
  const planFor = (limits: Partial<DeviceLimits>) => planJob(settings, width, height, styles.length, { ...host, ...limits });
  // Settings are checked before the device exists; the plan is made again, and checked whole, with its limits after.
  const unchecked = planFor({});
  options.onPlan?.(unchecked);
  const loading = loadingPhases(options, unchecked.scales.length);
  const saved = typeof options.resume === 'string' ? await readCheckpoint(options.resume) : options.resume;
  // The device first: a GPU problem should not wait for an 80 MB download.
  if (!options.context) loading('the GPU device');
  const ctx = options.context ?? (await createNodeContext({ ...options.gpu, compute: true }));
  try {
    const limits = { bindingBytes: ctx.bindingBytes, bufferBytes: ctx.maxBufferBytes };
    // The plan checked against the device and the memory budget, before the weights.
    const plan = { ...planFor(limits), ...(styleMasks ? { styleMasks, styleMaskNames } : {}) };
    if (plan.optimizer?.kind === 'lbfgs') options.log?.(describeLbfgsMemory(plan.optimizer, plan.scales));
    const memory = describeMemoryPlan(plan.memory);
    if (memory) options.log?.(memory);
    if (typeof options.weights !== 'object') loading('the weights');
    const weights =
      typeof options.weights === 'object'
        ? options.weights
        : (
            await ensureWeights({
              weightsPath: options.weights,
              offline: options.offline,
              cacheDir: options.cacheDir,
              onProgress: options.onDownload,
              log: options.log,
            })
          ).weights;
    // Reading (or fetching) the weights takes seconds: a Ctrl-C meanwhile stops here, writing nothing.
    if (options.signal?.aborted) throw new StoppedBeforeStartError();
    const images: Record<string, RgbaImage> = { content, ...Object.fromEntries(styles.map((s, i) => [`style ${i + 1}`, s])) };
    if (typeof init === 'object') images.init = init;
    styleMasks?.forEach((m, i) => (images[`style mask ${i + 1}`] = m));
    const identity = saved || options.checkpoint ? runIdentity(plan, images, weights, nodeSha256) : null;
    const resume = saved
      ? resumeState(saved, identity!, plan, typeof options.resume === 'string' ? options.resume : 'the checkpoint')
      : undefined;
    const checkpoint = options.checkpoint && checkpointHooks(options.checkpoint, identity!, options.log);
    const hooks = { ...options, checkpoint, resume };
    if (options.session) return await options.session(ctx, weights, styles, plan).run(content, plan, hooks);
    return await runStyleJob(ctx, weights, content, styles, plan, hooks);
  } finally {
    if (!options.context) ctx.destroy();
  }
}

/** Tells the edge's phases ('loading' what), with the seconds since the first of them. */
export function loadingPhases(hooks: Pick<StyleHooks, 'onPhase'>, scales: number): (detail: string) => void {
  const started = performance.now();
  return (detail) => hooks.onPhase?.({ phase: 'loading', scale: 0, scales, detail, seconds: (performance.now() - started) / 1000 });
}

/**
 * The images, read in the order and with the errors they always had, but the content's size comes
 * from its header first: it plans the run, and the plan says how large an image must be, so a huge
 * one is reduced as it decodes. Settings that fail here fail again after the images, as they always
 * did. (A function of its own, so that no file's bytes outlive their decoding.)
 */
function readImages(options: StylizeOptions, host: { memoryBytes: number; contentName?: string }) {
  const limit = { maxPixels: options.maxMegapixels === undefined ? undefined : options.maxMegapixels * 1e6 };
  const initPath = typeof options.init === 'string' && options.init !== 'content' && options.init !== 'random' ? options.init : undefined;
  const opened = typeof options.content === 'string' ? openImage(options.content, limit) : options.content;
  const { width, height } = opened;
  let reduce: ReduceRequest | undefined;
  try {
    const init = (initPath ? opened : options.init) as StyleSettings['init'] | undefined; // any image: only sizes are used
    reduce = reduceRequest(planJob({ ...options, init }, width, height, options.styles.length, host));
  } catch (err) {
    // Settings the user must fix fail again, with their message, after the images; anything else is a bug.
    if (!(err instanceof UserError)) throw err;
    reduce = undefined;
  }
  const read = (image: string | RgbaImage) => (typeof image === 'string' ? openImage(image, limit).decode(reduce) : image);
  const content = 'decode' in opened ? opened.decode(reduce) : opened;
  const styles = options.styles.map(read);
  const styleMasks = options.styleMasks?.map(read);
  const init = initPath ? read(initPath) : options.init;
  return { content, styles, styleMasks, init, width, height };
}

/** What a huge image may be reduced to while decoding: the short side reducedMinSide gives for the largest side any scale needs. */
function reduceRequest(plan: StyleOptions): ReduceRequest {
  const largest = Math.max(...plan.scales.map((s) => Math.max(s.width, s.height)));
  return { minSide: reducedMinSide(largest, plan.styleScale) };
}

/** The saved state, if the checkpoint was made by this very run (same settings, images, weights) and fits its optimiser. */
export function resumeState(saved: Checkpoint, identity: RunIdentity, plan: StyleOptions, file: string): JobState {
  const differences = identityDifferences(saved.identity, identity);
  if (differences.length > 0)
    throw new UserError(
      `${file} belongs to another run: ${differences.join('; ')}. Resume with the same images, weights and settings, or start again without --resume`,
    );
  checkResumable(saved.state, plan.scales, plan.optimizer, file);
  return saved.state;
}

function checkpointHooks(
  file: NonNullable<StylizeOptions['checkpoint']>,
  identity: RunIdentity,
  log?: (message: string) => void,
): CheckpointHooks {
  let written = false;
  return {
    every: file.every,
    write: async (state) => {
      const bytes = await encodeCheckpoint({ state, identity, command: file.command ?? [] });
      // A checkpoint that cannot be written (a full disk, its folder removed) costs a warning, not
      // the image in memory: the run goes on, and its result is still written (or kept elsewhere).
      try {
        PreparedWrite.replace(file.path, bytes);
      } catch (err) {
        if (!(err instanceof WriteError)) throw err;
        // The one written before is kept, unless it went too (with its folder).
        const kept = !written ? '' : existsSync(file.path) ? `; ${file.path} keeps the one before` : '; the one written before is gone too';
        log?.(warning(`checkpoint not written: ${err.message}${kept}; the run goes on`));
        return;
      }
      written = true;
      log?.(`checkpoint: ${file.path} (scale ${state.scale}, step ${state.step})`);
    },
  };
}

export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    if (!statSync(path).isFile()) throw new UserError(`${path}: not a regular file; give a checkpoint file (such as out.png.ckpt)`);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: cannot read the checkpoint (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return decodeCheckpoint(bytes, path);
}
