// `wgpu-style video <in> <style…> -o <out>`: the video job from the terminal. Its options are the
// style settings (src/plan/options.ts), the video settings (src/plan/video-options.ts) and the
// run's own below, all in the OptionSpec form, so the parser, the checks and --help derive from them.

import { existsSync } from 'node:fs';
import { ConvertError } from '../io/weights/convert-error.js';
import { rational } from '../node/ffmpeg.js';
import { stylizeVideo, type StylizeVideoResult } from '../node/video.js';
import { SETTINGS, type OptionSpec } from '../plan/options.js';
import { VIDEO_SETTINGS, type VideoSettings } from '../plan/video-options.js';
import { StoppedBeforeStartError } from '../util/errors.js';
import { UsageError } from './errors.js';
import { stopOnCtrlC } from './interrupt.js';
import { GROUPS, optionsHelp, parserTable, readOptions, RUN_OPTIONS } from './options.js';
import { parseCommand } from './parse.js';
import { byteProgress, phasePrinter } from './progress.js';
import { VideoPrinter } from './video-report.js';
import { runQueuedVideo, VIDEO_QUEUE_OPTIONS } from './video-queue.js';

/** Options only the video command has; `output` replaces the style command's (a video or frames, not an image). */
const VIDEO_RUN_OPTIONS = {
  output: {
    kind: 'text',
    default: 'out.mp4',
    arg: '<file>',
    group: 'Output',
    help: [
      "The video (.mp4, .m4v, .mov, .mkv: H.264, with the input's frame rate",
      'and audio) or frames (a pattern such as out/%04d.png, numbered from 1)',
      '(default); frames are written atomically, never over an input',
    ],
  },
  resume: {
    kind: 'flag',
    default: false,
    group: 'Output',
    help: [
      'Go on from the frames a stopped run left (the pattern, or out.mp4.frames/',
      'beside a video output): each one found is kept, never redone; give',
      'the same input, styles and settings as the stopped run (others are refused)',
    ],
  },
  keepFrames: {
    kind: 'flag',
    default: false,
    group: 'Output',
    help: ['Keep out.mp4.frames/ (the stylised frames as PNG) once the video is written'],
  },
  fps: {
    kind: 'text',
    default: '25',
    arg: '<n|n/d>',
    group: 'Output',
    help: ['Frame rate of a video made from frames (default); a video input keeps its own'],
  },
} as const satisfies Record<string, OptionSpec>;

/** Style settings that mean nothing for a video: snapshots of one image's steps, a still image's fixed schedule. */
const NOT_FOR_VIDEO = ['saveEvery', 'preset'];
const TAKEN_RUN_OPTIONS = ['quality', 'maxMegapixels', 'weights', 'offline', 'json', 'backend', 'adapter'] as const;

function videoOptions(): Array<[string, OptionSpec]> {
  const run = TAKEN_RUN_OPTIONS.map((key) => [key, RUN_OPTIONS[key]] as [string, OptionSpec]);
  const settings = (Object.entries(SETTINGS) as Array<[string, OptionSpec]>).filter(
    ([key, spec]) => !spec.libraryOnly && !NOT_FOR_VIDEO.includes(key),
  );
  const video = Object.entries(VIDEO_SETTINGS) as Array<[string, OptionSpec]>;
  return [...Object.entries(VIDEO_RUN_OPTIONS), ...run, ...video, ...settings, ...Object.entries(VIDEO_QUEUE_OPTIONS)];
}

const OPTIONS = videoOptions();
const VIDEO_GROUPS = [GROUPS[0]!, ...new Set(Object.values(VIDEO_SETTINGS).map((s: OptionSpec) => s.group)), ...GROUPS.slice(1), 'Queue'];

export const VIDEO_HELP = `Usage: wgpu-style video <in.mp4|frames/%04d.png|folder> <style> [<style> ...] -o <out.mp4|out/%04d.png> [options]

Paints every frame of a video in the style of the style image(s) without flicker (Ruder, Dosovitskiy
and Brox 2016): frame 1 as a still image; each next frame starts from the previous result moved
along the optical flow (computed on the GPU), and a temporal loss keeps it there wherever the flow
is reliable. Video files are read and written through ffmpeg (frame rate and audio carried over);
a folder of frames, or a pattern such as frames/%04d.png, needs no ffmpeg.

${optionsHelp(OPTIONS, VIDEO_GROUPS)}

Progress is shown per step and per frame, with the whole video's ETA. Ctrl-C stops at once,
keeping every finished frame (the one in progress is dropped), and exits with status 130; the same
command with --resume goes on at the first missing frame. A killed run resumes the same way.

Examples
  wgpu-style video clip.mp4 starry_night.jpg -o clip-starry.mp4 --size 256
  wgpu-style video frames/%04d.png starry_night.jpg -o out/%04d.png --temporal-weight 0   # independent frames
  wgpu-style video clip.mp4 starry_night.jpg -o clip-starry.mp4 --resume                 # after Ctrl-C`;

export async function videoCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand({ args, options: parserTable(OPTIONS), allowPositionals: true }, 'video');
  if (values.help) {
    console.log(VIDEO_HELP);
    return 0;
  }
  const { settings, run } = readOptions(values as Record<string, string | boolean | undefined>, OPTIONS);
  const given = run as unknown as Record<string, unknown>;
  const video = Object.fromEntries(Object.keys(VIDEO_SETTINGS).map((key) => [key, given[key]])) as Partial<VideoSettings>;
  const [input, ...styles] = positionals;
  if (!input || (styles.length === 0 && settings.styleWeight !== 0))
    throw new UsageError(
      'video: give a video (or frames) and at least one style image: wgpu-style video <in> <style> -o <out> (see --help)',
    );
  for (const style of styles) if (!existsSync(style)) throw new UsageError(`${style}: no such file`);
  const fps = rational(String(given.fps));
  if (!fps) throw new UsageError(`--fps must be a frame rate such as 25 or 30000/1001, got "${String(given.fps)}"`);
  const output = String(given.output);
  if (typeof given.queue === 'string') {
    const spec = { input, output, styles, settings: { ...settings, ...video }, keepFrames: given.keepFrames === true, fps };
    const q = { url: given.queue, name: String(given.queueName), segmentFrames: Number(given.segmentFrames) };
    const follow = { wait: given.wait === true, attempts: Number(given.attempts), ca: given.queueCa as string | undefined };
    return runQueuedVideo({ ...spec, maxMegapixels: run.maxMegapixels }, { ...q, ...follow });
  }
  for (const key of ['wait', 'queueCa'] as const)
    if (given[key]) throw new UsageError(`--${key === 'wait' ? 'wait' : 'queue-ca'} is for a queued video: give --queue redis://… too`);

  const printer = new VideoPrinter(run.json);
  const interrupt = stopOnCtrlC('stopping: the frame in progress is dropped (Ctrl-C again to quit at once)');
  let result: StylizeVideoResult;
  try {
    result = await stylizeVideo({
      ...settings,
      ...video,
      input,
      styles,
      output,
      resume: given.resume === true,
      keepFrames: given.keepFrames === true,
      fps,
      weights: run.weights,
      offline: run.offline,
      maxMegapixels: run.maxMegapixels,
      gpu: { backend: run.backend, adapter: run.adapter },
      signal: interrupt.signal,
      onProgress: (p) => printer.step(p),
      onFrame: (p) => printer.frame(p),
      onPhase: phasePrinter(run.json),
      onDownload: byteProgress('downloading weights'),
      log: (m) => console.error(m),
    });
  } catch (err) {
    if (err instanceof ConvertError && run.weights) throw new UsageError(`${err.message}: give weights with all of VGG-19's convs`);
    if (!(err instanceof StoppedBeforeStartError)) throw err;
    console.error('wgpu-style: stopped before the first frame; no frame was written');
    return 130;
  } finally {
    interrupt.dispose();
  }
  printer.done(result, output);
  if (result.stopped === null) return 0;
  const where = result.workFolder ?? output;
  const done = result.skipped + result.written;
  console.error(
    `wgpu-style: stopped with ${done} of ${result.frames} frames done (in ${where}); run the same command with --resume to go on from frame ${done + 1}`,
  );
  return result.stopped === 'diverged' ? 3 : 130;
}
