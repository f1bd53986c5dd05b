// The video settings, declared once in the option table's form (options.ts: the CLI's parser and
// --help derive from it as the style options do), and the plan of a video: planJob's plan for the
// first frame (the whole pyramid, as a still image) and one scale at its final size for the
// frames after it (frameSteps steps, with the temporal term when its weight is > 0).

import type { StyleOptions } from '../style/job-types.js';
import { OptionError } from '../util/errors.js';
import { invalidReason, type OptionSpec } from './options.js';
import { planJob, type DeviceLimits, type JobPlan } from './plan-job.js';
import { pyramid } from './schedule.js';
import { DEFAULT_SETTINGS, type StyleSettings, type ValueOf } from './settings.js';

/** frameSteps' default with the default schedule (said in its help): the default pyramid's steps, halved (defaultFrameSteps). */
const DEFAULT_FRAME_STEPS = (({ size, scales, steps }) => defaultFrameSteps(pyramid(size, size, size, scales, steps, steps)))(
  DEFAULT_SETTINGS,
);

export const VIDEO_SETTINGS = {
  temporalWeight: {
    kind: 'number',
    min: 0,
    default: 200,
    arg: '<x>',
    group: 'Video',
    label: 'Temporal weight',
    help: [
      'Weight of the temporal term: each frame against the earlier outputs',
      'warped into it, where the flow is reliable (default; Ruder et al.',
      "2016's 1e3 against their content weight 5, times ours, and the least",
      'flicker measured in docs/video.md); 0 = independent frames, the baseline',
    ],
  },
  frameSteps: {
    kind: 'int',
    min: 1,
    arg: '<n>',
    group: 'Video',
    help: [
      'Steps for each frame after the first, at the final size (default: half',
      "the first frame's work counted in final-size steps, as Ruder's",
      `2000/1000; ${DEFAULT_FRAME_STEPS} with the default schedule)`,
    ],
  },
  flowRelativeIndices: {
    kind: 'numbers',
    default: [1],
    arg: '<list>',
    group: 'Video',
    help: [
      'Earlier frames each frame is held to, by distance, e.g. 1,2,4',
      "(Ruder's -flow_relative_indices; nearer frames take precedence where",
      'several are reliable; 1 among them: each frame starts from the one',
      'before it) (default)',
    ],
  },
} as const satisfies Record<string, OptionSpec>;

type VideoSpec = typeof VIDEO_SETTINGS;
type WithDefault = { [K in keyof VideoSpec]: VideoSpec[K] extends { default: unknown } ? K : never }[keyof VideoSpec];

/** Every video setting (from the table above); those without a default may be left out (frameSteps: derived by planVideo). */
export type VideoSettings = { [K in WithDefault]: ValueOf<VideoSpec[K]> } & {
  [K in Exclude<keyof VideoSpec, WithDefault>]?: ValueOf<VideoSpec[K]>;
};

/** The declared defaults (those without one are derived by planVideo). */
export const DEFAULT_VIDEO_SETTINGS = Object.fromEntries(
  Object.entries(VIDEO_SETTINGS as Record<string, OptionSpec>)
    .filter(([, spec]) => spec.default !== undefined)
    .map(([key, spec]) => [key, spec.default]),
) as VideoSettings;

/** What runVideoJob takes: the first frame's plan, the later frames', and the temporal term's settings. */
export interface VideoPlan {
  /** planJob's plan for frame 1: the whole pyramid, as a still image. */
  first: JobPlan;
  /** One scale at the first frame's final size, frameSteps steps; with the temporal term, the job starts each frame from the warped earlier output. */
  next: JobPlan;
  /** 0: independent frames (no flow computed), each from its own content with `next`'s steps. */
  temporalWeight: number;
  /** Whole numbers >= 1, nearest first (so 1 first), each once. */
  flowRelativeIndices: readonly number[];
}

/**
 * Half the first frame's work in steps at its final size: each scale's steps weighed by its
 * pixels against the final scale's (a scale half as wide costs about a quarter), halved, as Ruder
 * et al.'s 2000 iterations for the first frame and 1000 for the others.
 */
export function defaultFrameSteps(scales: StyleOptions['scales']): number {
  const last = scales.at(-1)!;
  const work = scales.reduce((sum, s) => sum + (s.steps * s.width * s.height) / (last.width * last.height), 0);
  return Math.max(1, Math.round(work / 2));
}

/**
 * The one place a video's settings are checked and planned: the style settings by planJob (for the
 * first frame, then for the frames after it, whose memory plan counts the temporal term's tensors),
 * the video settings against their declarations. Throws OptionError naming the setting by its key.
 */
export function planVideo(
  settings: Partial<StyleSettings>,
  video: Partial<VideoSettings>,
  width: number,
  height: number,
  styleCount?: number,
  host: { memoryBytes?: number; contentName?: string } & Partial<DeviceLimits> = {},
): VideoPlan {
  const given = Object.fromEntries(Object.entries(video).filter(([, v]) => v !== undefined));
  const v: VideoSettings = { ...DEFAULT_VIDEO_SETTINGS, ...given };
  for (const [key, spec] of Object.entries(VIDEO_SETTINGS) as Array<[keyof VideoSettings, OptionSpec]>) {
    const reason = v[key] === undefined ? null : invalidReason(spec, v[key]);
    if (reason) throw new OptionError(key, v[key], reason);
  }
  const indices = v.flowRelativeIndices;
  // 1 among them: each frame starts from the frame before it warped (Ruder et al.), by the flow the term computes.
  if (indices.some((j) => !Number.isInteger(j) || j < 1) || new Set(indices).size !== indices.length || !indices.includes(1))
    throw new OptionError(
      'flowRelativeIndices',
      indices,
      `must be whole numbers >= 1, each once, 1 among them (each frame starts from the one before it), e.g. 1,2,4; got ${indices.join(',')}`,
    );
  if (settings.preset !== undefined)
    throw new OptionError(
      'preset',
      settings.preset,
      "is a still image's schedule of fixed sizes: a video's frames take --size, --scales and --steps; leave the preset out",
    );
  const first = planJob(settings, width, height, styleCount, host);
  const last = first.scales.at(-1)!;
  const steps = v.frameSteps ?? defaultFrameSteps(first.scales);
  const temporalTerms = v.temporalWeight > 0 ? indices.length : 0;
  const nextSettings = { ...settings, size: Math.max(last.width, last.height), scales: 1, steps };
  const next = planJob(nextSettings, width, height, styleCount, { ...host, temporalTerms });
  const [a, b] = [next.scales[0]!, last];
  if (a.width !== b.width || a.height !== b.height)
    throw new Error(`planVideo: the frames' scale ${a.width}×${a.height} is not the first frame's final ${b.width}×${b.height}`);
  return { first, next, temporalWeight: v.temporalWeight, flowRelativeIndices: [...indices].sort((x, y) => x - y) };
}
