// Video files in and out through an ffmpeg binary: finding one, probing a video (size, frame rate
// as a rational, frame count, audio), decoding its frames to PNG files and encoding PNG frames
// (with the input's audio) to H.264. Folders of frames need none of this.

import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, extname, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { removeStaleTemps, tempPathFor } from './safe-write.js';

/** The fix named when ffmpeg cannot read an input. */
const UNREADABLE = 'give a video file that ffmpeg can play, or a folder of its frames';

/** The binaries found, and where from. ffprobe is null where only ffmpeg is (the npm package ships no ffprobe). */
export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string | null;
  source: 'WGPU_STYLE_FFMPEG' | 'PATH' | '@ffmpeg-installer/ffmpeg';
}

const ENV = 'WGPU_STYLE_FFMPEG';

/** The fix named when no ffmpeg is found (the CLI's one line). */
export const NO_FFMPEG =
  'no ffmpeg found, needed to read and write video files: install it (Debian/Ubuntu: apt-get install ffmpeg, ' +
  `which npm run setup does as root), or set ${ENV}=/path/to/ffmpeg; frames folders (frames/%04d.png) need none`;

/** $WGPU_STYLE_FFMPEG, then `ffmpeg` on PATH, then the npm package @ffmpeg-installer/ffmpeg if it is installed. */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegTools {
  const given = env[ENV];
  if (given) {
    if (!executable(given)) throw new UserError(`${ENV}=${given}: not an executable file; point it at an ffmpeg binary or unset it`);
    return { ffmpeg: given, ffprobe: besideOrOnPath(given, env), source: ENV };
  }
  const onPath = searchPath('ffmpeg', env);
  if (onPath) return { ffmpeg: onPath, ffprobe: besideOrOnPath(onPath, env), source: 'PATH' };
  const packaged = npmFfmpeg();
  if (packaged) return { ffmpeg: packaged, ffprobe: besideOrOnPath(packaged, env), source: '@ffmpeg-installer/ffmpeg' };
  throw new UserError(NO_FFMPEG);
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function searchPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const folder of (env.PATH ?? '').split(delimiter)) {
    if (folder && executable(join(folder, name))) return join(folder, name);
  }
  return null;
}

function besideOrOnPath(ffmpeg: string, env: NodeJS.ProcessEnv): string | null {
  const beside = join(dirname(ffmpeg), 'ffprobe');
  return executable(beside) ? beside : searchPath('ffprobe', env);
}

/** The binary of @ffmpeg-installer/ffmpeg (an optional install, not a dependency), or null. */
function npmFfmpeg(): string | null {
  try {
    const path = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path?: string }).path;
    return path && executable(path) ? path : null;
  } catch {
    return null;
  }
}

export interface VideoInfo {
  width: number;
  height: number;
  /** Frames per second as num/den (30000/1001 for NTSC's 29.97). */
  fps: { num: number; den: number };
  /** Frames in the video stream, when the container says (null otherwise). */
  frames: number | null;
  audio: { codec: string } | null;
}

/** What ffprobe (or, without it, ffmpeg -i) says about `path`'s first video stream and its audio. */
export async function probeVideo(path: string, tools: FfmpegTools, signal?: AbortSignal): Promise<VideoInfo> {
  if (!tools.ffprobe) return probeWithFfmpeg(path, tools, signal);
  const args = ['-v', 'error', '-show_streams', '-of', 'json', path];
  const { stdout } = await runTool(tools.ffprobe, args, path, UNREADABLE, signal);
  const streams = (JSON.parse(stdout) as { streams?: Array<Record<string, string | number | undefined>> }).streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !isCoverArt(s));
  if (!video) throw new UserError(`${path}: no video stream in it; give a video file, or a folder of frames`);
  const audio = streams.find((s) => s.codec_type === 'audio');
  const rate = [video.avg_frame_rate, video.r_frame_rate].map((r) => rational(String(r))).find((r) => r !== null);
  const frames = Number(video.nb_frames);
  return {
    width: Number(video.width),
    height: Number(video.height),
    fps: rate ?? noRate(path),
    frames: Number.isInteger(frames) && frames > 0 ? frames : null,
    audio: audio ? { codec: String(audio.codec_name) } : null,
  };
}

function isCoverArt(stream: Record<string, unknown>): boolean {
  return (stream.disposition as { attached_pic?: number } | undefined)?.attached_pic === 1;
}

/** "30000/1001" -> { num, den }; null for "0/0" and the like. */
export function rational(text: string): { num: number; den: number } | null {
  const m = /^(\d+)(?:\/(\d+))?$/.exec(text.trim());
  if (!m) return null;
  const num = Number(m[1]);
  const den = Number(m[2] ?? 1);
  return num > 0 && den > 0 ? { num, den } : null;
}

function noRate(path: string): never {
  throw new UserError(`${path}: ffmpeg finds no frame rate in it; convert it to frames first (ffmpeg -i ${path} frames/%04d.png)`);
}

/** Without ffprobe: the stream lines ffmpeg -i prints ("Video: h264 …, 320x240 …, 25 fps"; "Audio: aac …"). */
async function probeWithFfmpeg(path: string, tools: FfmpegTools, signal?: AbortSignal): Promise<VideoInfo> {
  const { stderr } = await runTool(tools.ffmpeg, ['-hide_banner', '-nostdin', '-i', path], path, UNREADABLE, signal, true);
  const video = /Stream #\d+:\d+[^:]*: Video: (.*)/.exec(stderr)?.[1];
  if (!video) throw new UserError(`${path}: no video stream in it; give a video file, or a folder of frames`);
  const size = /\b(\d{1,5})x(\d{1,5})\b/.exec(video);
  const fps = /([\d.]+)(k?) (?:fps|tbr)/.exec(video);
  if (!size) throw new UserError(`${path}: ffmpeg gives no frame size for it`);
  const audio = /Stream #\d+:\d+[^:]*: Audio: (\w+)/.exec(stderr);
  return {
    width: Number(size[1]),
    height: Number(size[2]),
    fps: fps ? decimalRate(Number(fps[1]) * (fps[2] ? 1000 : 1)) : noRate(path),
    frames: null,
    audio: audio ? { codec: audio[1]! } : null,
  };
}

/** 29.97 -> 30000/1001 (the NTSC rates ffmpeg prints rounded), 25 -> 25/1. */
function decimalRate(fps: number): { num: number; den: number } {
  const ntsc = Math.round(fps * 1.001);
  if (Math.abs((ntsc * 1000) / 1001 - fps) < 0.006 && Math.abs(ntsc - fps) > 0.006) return { num: ntsc * 1000, den: 1001 };
  return Number.isInteger(fps) ? { num: fps, den: 1 } : { num: Math.round(fps * 1000), den: 1000 };
}

/** The name pattern of decoded and encoded frames in a work folder: 000001.png, 1-based. */
export const WORK_FRAME_PATTERN = '%06d.png';
/** A file name of WORK_FRAME_PATTERN. */
export const WORK_FRAME_NAME = /^\d{6}\.png$/;

/**
 * Decodes every frame of `path`'s first video stream into `folder` as 000001.png …, shrunk (never
 * enlarged) so that the longer side is at most `maxSide`, each side even. Returns the frame count.
 */
export async function decodeFrames(
  path: string,
  folder: string,
  tools: FfmpegTools,
  maxSide: number,
  signal?: AbortSignal,
): Promise<number> {
  const s = `min(${maxSide}\\,max(iw\\,ih))`;
  // The longer side to at most maxSide, the other in proportion (-2: rounded to an even number).
  const scale = `scale=w='if(gte(iw,ih),${s},-2)':h='if(gte(iw,ih),-2,${s})':flags=area`;
  const args = ['-nostdin', '-v', 'error', '-i', path, '-map', '0:v:0', '-vsync', 'passthrough', '-vf', scale];
  await runTool(tools.ffmpeg, [...args, '-start_number', '1', join(folder, WORK_FRAME_PATTERN)], path, UNREADABLE, signal);
  const count = readdirSync(folder).filter((n) => WORK_FRAME_NAME.test(n)).length;
  if (count === 0) throw new UserError(`${path}: ffmpeg decoded no frame from it`);
  return count;
}

/** Frame `n` (1-based) of a work folder. */
export function workFramePath(folder: string, n: number): string {
  return join(folder, `${String(n).padStart(6, '0')}.png`);
}

/** Containers an output video may be, by extension. */
export const VIDEO_FORMATS: Record<string, string> = { '.mp4': 'mp4', '.m4v': 'mp4', '.mov': 'mov', '.mkv': 'matroska' };
/** Audio codecs copied as they are into an MP4/MOV; any other is re-encoded to AAC. */
const COPIED_AUDIO = ['aac', 'mp3', 'alac'];

export interface EncodeRequest {
  /** The frames, `folder`/000001.png … in order, `frames` of them. */
  folder: string;
  frames: number;
  fps: { num: number; den: number };
  /** The video whose first audio track is carried over, if it has one. */
  audioFrom: { path: string; codec: string } | null;
  output: string;
}

/**
 * Encodes the frames to H.264 (yuv420p; an odd last row or column is cropped, as yuv420p needs even
 * sides) at the input's frame rate, with its audio, into a temporary file beside the output, then
 * renamed over it: the output is whole or absent.
 */
export async function encodeVideo(request: EncodeRequest, tools: FfmpegTools, signal?: AbortSignal): Promise<void> {
  const { folder, frames, fps, audioFrom, output } = request;
  const format = VIDEO_FORMATS[extname(output).toLowerCase()];
  if (!format) throw new UserError(`${output}: a video output must end in ${Object.keys(VIDEO_FORMATS).join(', ')}`);
  for (let n = 1; n <= frames; n++)
    if (!existsSync(workFramePath(folder, n)))
      throw new UserError(`${workFramePath(folder, n)}: missing; the video needs frames 1 to ${frames}`);
  const video = ['-framerate', `${fps.num}/${fps.den}`, '-start_number', '1', '-i', join(folder, WORK_FRAME_PATTERN)];
  const audio = audioFrom ? ['-i', audioFrom.path, '-map', '1:a:0'] : [];
  const audioCodec = !audioFrom ? [] : format === 'matroska' || COPIED_AUDIO.includes(audioFrom.codec) ? ['-c:a', 'copy'] : ['-c:a', 'aac'];
  const codec = ['-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p', '-vf', 'crop=trunc(iw/2)*2:trunc(ih/2)*2'];
  removeStaleTemps(output);
  const temp = tempPathFor(output);
  liveTemps.add(temp);
  try {
    // -xerror: a frame that does not decode fails the run (ffmpeg would skip it and go on).
    const args = ['-nostdin', '-v', 'error', '-xerror', ...video, ...audio, '-map', '0:v:0', '-frames:v', String(frames), ...codec];
    args.push(...audioCodec);
    await runTool(
      tools.ffmpeg,
      [...args, ...(format === 'matroska' ? [] : ['-movflags', '+faststart']), '-f', format, temp],
      output,
      `the frames are kept in ${folder}: fix the cause and run the same command with --resume to encode them`,
      signal,
    );
    try {
      renameSync(temp, output);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'EISDIR' ? 'a folder of that name is there' : (err as NodeJS.ErrnoException).code;
      throw new UserError(
        `${output}: cannot write the video (${why}); the frames are kept in ${folder}: move what is at ${output} away and run the same command with --resume`,
      );
    }
  } finally {
    rmSync(temp, { force: true });
    liveTemps.delete(temp);
  }
}

const liveTemps = new Set<string>();
process.on('exit', () => {
  for (const temp of liveTemps) rmSync(temp, { force: true });
});

/**
 * Runs a tool to its end; a failure is a UserError naming `subject` (the file it was working on),
 * the tool's last words and `fix`. `failureExpected`: ffmpeg -i with no output exits 1 by design.
 */
function runTool(
  tool: string,
  args: string[],
  subject: string,
  fix: string,
  signal?: AbortSignal,
  failureExpected = false,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d).slice(-64 * 1024)));
    child.on('error', (err) => {
      if ((err as Error).name === 'AbortError') reject(err);
      else
        reject(
          new UserError(
            `${subject}: cannot run ${tool} (${(err as NodeJS.ErrnoException).code ?? err.message}); point ${ENV} at a working ffmpeg`,
          ),
        );
    });
    child.on('close', (code) => {
      if (code === 0 || failureExpected) return resolve({ stdout, stderr });
      const last = stderr.trim().split('\n').at(-1) ?? `exit status ${code}`;
      reject(new UserError(`${subject}: ${tool.split('/').at(-1)} failed (${last.trim()}); ${fix}`));
    });
  });
}
