// The video job core (src/video/job.ts) on a tiny clip with known motion (a camera pan by whole
// pixels, test/helpers/video-clip.ts) and synthetic weights: the temporal term holds the frames
// together far better than independent frames; the style Grams are computed once for the video;
// an aborted run keeps its finished frames and a resumed one ends with the same frames without
// redoing any. And planVideo's plan.

import { describe, expect, it, vi } from 'vitest';
import * as flow from '../src/flow/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { planVideo, VIDEO_SETTINGS, type VideoPlan } from '../src/plan/video-options.js';
import type { RgbaImage } from '../src/style/image-tensor.js';
import * as loss from '../src/style/loss.js';
import { OptionError, UserError } from '../src/util/errors.js';
import { runVideoJob, type FrameSource, type FrameStore, type VideoHooks, type VideoProgress } from '../src/video/job.js';
import { useGpu } from './helpers/gpu.js';
import { makeClip, texture, warpingError } from './helpers/video-clip.js';

vi.mock(import('../src/style/loss.js'), async (original) => {
  const m = await original();
  return { ...m, computeStyleTargets: vi.fn(m.computeStyleTargets) };
});
vi.mock(import('../src/flow/index.js'), async (original) => {
  const m = await original();
  return { ...m, opticalFlow: vi.fn(m.opticalFlow) };
});

const gpu = useGpu();
const weights = syntheticWeights(2, 12);
const clip = makeClip(texture(50, 32), { width: 40, height: 32, frames: 6, pan: 2 });
const style = texture(24, 24, 70, 11);
// Blocks 1–3, two scales for the first frame; random init (the same noise every frame) makes independent frames flicker.
const SETTINGS = {
  contentLayers: [12],
  styleLayers: [0, 5, 10],
  size: 40,
  scales: 2,
  steps: 12,
  lr: 0.08,
  init: 'random',
  autotune: false,
} as const;
// Each frame held to the two before it (where there are two): the long-term certainties at work.
const plan = (temporalWeight: number): VideoPlan =>
  planVideo(SETTINGS, { temporalWeight, frameSteps: 5, flowRelativeIndices: [1, 2] }, 40, 32, 1);

const source: FrameSource = { count: clip.frames.length, read: async (i) => clip.frames[i]! };

/** A store in memory that counts the writes of each frame. */
class MemoryStore implements FrameStore {
  readonly frames = new Map<number, RgbaImage>();
  readonly writes = new Map<number, number>();
  async read(index: number) {
    return this.frames.get(index) ?? null;
  }
  async write(index: number, image: RgbaImage) {
    this.frames.set(index, image);
    this.writes.set(index, (this.writes.get(index) ?? 0) + 1);
  }
  all(): RgbaImage[] {
    return clip.frames.map((_, i) => this.frames.get(i)!);
  }
}

const run = async (temporalWeight: number, store = new MemoryStore(), hooks: VideoHooks = {}) => {
  const result = await runVideoJob(gpu(), weights, source, [style], plan(temporalWeight), store, hooks);
  return { store, result };
};

let held: { store: MemoryStore; frames: VideoProgress[] } | null = null;

describe('the video job', () => {
  it('holds the frames together: the warping error far below independent frames, the Grams computed once', async () => {
    const [grams, flows] = [vi.mocked(loss.computeStyleTargets), vi.mocked(flow.opticalFlow)];
    grams.mockClear();
    flows.mockClear();
    const independent = await run(0);
    expect(flows).not.toHaveBeenCalled();
    expect(independent.result.history.every((p) => p.flowSeconds === 0 && p.losses.temporal === null)).toBe(true);
    grams.mockClear();
    const frames: VideoProgress[] = [];
    await gpu().sync();
    const live = gpu().memory().liveBytes;
    const perFrame: number[] = [];
    const onFrame = (p: VideoProgress) => {
      frames.push(p);
      perFrame.push(gpu().memory().liveBuffers);
    };
    const temporal = await run(200, undefined, { onFrame });
    await gpu().sync();
    // Frames 3–6 are alike (two earlier frames each): nothing a frame makes outlives it.
    expect(new Set(perFrame.slice(2)).size, `live buffers after each frame: ${perFrame.join(', ')}`).toBe(1);
    expect(gpu().memory().liveBytes, 'every tensor of the video released').toBe(live);
    expect(grams).toHaveBeenCalledTimes(2); // the first frame's two sizes; the later frames reuse the final one's
    expect(flows).toHaveBeenCalledTimes(2 * (1 + 2 * 4)); // backward and forward: frame 2 against frame 1, frames 3–6 against two each
    expect(temporal.result).toMatchObject({ frames: 6, written: 6, skipped: 0, stopped: null });
    const [e0, e1] = [warpingError(independent.store.all(), clip), warpingError(temporal.store.all(), clip)];
    const { seconds, flowSeconds } = temporal.result;
    console.log(
      `warping error: independent ${e0.toExponential(3)}, temporal weight 200 ${e1.toExponential(3)} (${(e0 / e1).toFixed(1)}×); ` +
        `${seconds.toFixed(1)} s (independent ${independent.result.seconds.toFixed(1)} s), flow ${flowSeconds.toFixed(1)} s`,
    );
    expect(e1).toBeLessThan(e0 / 4);
    expect(frames.map((p) => [p.frame, p.framesDone])).toEqual([1, 2, 3, 4, 5, 6].map((t) => [t, t]));
    expect(frames.slice(1).every((p) => p.flowSeconds > 0 && p.losses.temporal! > 0)).toBe(true);
    expect(frames.every((p) => p.etaSeconds !== null && p.etaSeconds >= 0)).toBe(true);
    expect(frames.at(-1)!.etaSeconds).toBe(0);
    held = { store: temporal.store, frames };
  });

  it('an aborted run keeps its finished frames, and the resumed run ends with the same frames, redoing none', async () => {
    expect(held, 'the test before made the frames of a run never stopped').not.toBeNull();
    const controller = new AbortController();
    const store = new MemoryStore();
    const stopped = await run(200, store, {
      signal: controller.signal,
      onProgress: (p) => p.frame === 4 && controller.abort(), // its first report: after step 1 of 5
    });
    expect(stopped.result).toMatchObject({ stopped: 'aborted', written: 3, skipped: 0 });
    expect([...store.frames.keys()].sort()).toEqual([0, 1, 2]);
    const resumed = await run(200, store);
    expect(resumed.result).toMatchObject({ stopped: null, written: 3, skipped: 3 });
    // The ETA counts the frames left, not those found in the store, at the seconds of the frames this run made.
    const [at4, at5] = resumed.result.history;
    expect([at4!.frame, at4!.framesDone, at5!.framesDone]).toEqual([4, 4, 5]);
    expect(at4!.etaSeconds).toBeCloseTo(2 * at4!.frameSeconds, 6);
    expect(at5!.etaSeconds).toBeCloseTo((at4!.frameSeconds + at5!.frameSeconds) / 2, 6);
    expect([...store.writes.values()].every((n) => n === 1)).toBe(true);
    store.all().forEach((frame, t) => expect(Array.from(frame.data), `frame ${t + 1}`).toEqual(Array.from(held!.store.all()[t]!.data)));
  });
});

describe('the video job reports', () => {
  it("the flows' seconds without the reading of the earlier frames", async () => {
    const DELAY = 1.5; // seconds a stored frame takes to read: a slow disk, or a large PNG to decode
    class SlowStore extends MemoryStore {
      override async read(index: number) {
        const frame = await super.read(index);
        if (frame) await new Promise((resolve) => setTimeout(resolve, DELAY * 1000));
        return frame;
      }
    }
    const two: FrameSource = { count: 2, read: async (i) => clip.frames[i]! };
    const result = await runVideoJob(gpu(), weights, two, [style], plan(200), new SlowStore());
    const second = result.history[1]!;
    expect(second.frameSeconds).toBeGreaterThan(DELAY);
    expect(second.flowSeconds).toBeGreaterThan(0);
    expect(second.flowSeconds, `frame 2: ${second.flowSeconds} s of flow in ${second.frameSeconds} s`).toBeLessThan(DELAY);
  });
});

describe('the video job refuses', () => {
  const refusal = async (frames: RgbaImage[], stored: RgbaImage) => {
    const store = new MemoryStore();
    store.frames.set(0, stored);
    const odd: FrameSource = { count: frames.length, read: async (i) => frames[i]! };
    const err = await runVideoJob(gpu(), weights, odd, [style], plan(200), store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(store.writes.size, 'nothing written').toBe(0);
    return (err as Error).message;
  };
  const [w, h] = [clip.frames[0]!.width, clip.frames[0]!.height];

  it('a frame of another size than the first, naming both', async () => {
    const frames = [clip.frames[0]!, texture(w, h + 2)];
    expect(await refusal(frames, texture(w, h))).toMatch(new RegExp(`frame 2 is ${w}×${h + 2} but frame 1 is ${w}×${h}`));
  });

  it('a stylised frame in the store of another size than this run makes (resumed with other settings)', async () => {
    expect(await refusal(clip.frames.slice(0, 2), texture(w / 2, h / 2))).toMatch(
      new RegExp(`stylised frame 1 already there is ${w / 2}×${h / 2} but this run makes ${w}×${h}.*--size`),
    );
  });
});

describe('planVideo', () => {
  it('plans frame 1 as a still image and the later frames as one scale at its final size, with the temporal term counted', () => {
    const p = planVideo({ size: 128 }, {}, 64, 48, 1);
    expect(p.first.scales.map((s) => [s.width, s.height])).toEqual([
      [32, 24],
      [64, 48],
      [128, 96],
    ]);
    // Half the first frame's work in 128×96 steps: 300 × (1 + 1/4 + 1/16) / 2.
    expect(p.next.scales).toEqual([{ width: 128, height: 96, steps: 197, lrDecayEvery: 200 }]);
    // --frame-steps' help says the default schedule's figure, derived from the defaults (planned here at the default size).
    const byDefault = planVideo({}, {}, 64, 48, 1).next.scales[0]!.steps;
    expect(VIDEO_SETTINGS.frameSteps.help.join(' ')).toContain(`; ${byDefault} with the default schedule`);
    expect(p).toMatchObject({ temporalWeight: 200, flowRelativeIndices: [1] });
    expect(p.next.memory.scales[0]!.plainBytes).toBeGreaterThan(p.first.memory.scales[2]!.plainBytes);
    const independent = planVideo({ size: 128 }, { temporalWeight: 0, flowRelativeIndices: [4, 1, 2] }, 64, 48, 1);
    expect(independent.next.memory.scales[0]!.plainBytes).toBe(p.first.memory.scales[2]!.plainBytes);
    expect(independent.flowRelativeIndices).toEqual([1, 2, 4]);
  });

  it('refuses settings a video cannot take, naming them', () => {
    const refused = (settings: object, video: object) => {
      try {
        planVideo(settings, video, 64, 48, 1);
      } catch (err) {
        return err instanceof OptionError ? err.options : err;
      }
      return null;
    };
    expect(refused({}, { flowRelativeIndices: [0, 1] })).toEqual(['flowRelativeIndices']);
    expect(refused({}, { flowRelativeIndices: [1, 1] })).toEqual(['flowRelativeIndices']);
    expect(refused({}, { flowRelativeIndices: [1.5] })).toEqual(['flowRelativeIndices']);
    expect(refused({}, { flowRelativeIndices: [2, 4] })).toEqual(['flowRelativeIndices']); // no start from frame t−1
    expect(refused({}, { temporalWeight: -1 })).toEqual(['temporalWeight']);
    expect(refused({}, { frameSteps: 0 })).toEqual(['frameSteps']);
    expect(refused({ preset: 'seed' }, {})).toEqual(['preset']);
    expect(refused({ steps: 0 }, {})).toEqual(['steps']);
  });
});
