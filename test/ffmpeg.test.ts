// The ffmpeg edge with the real binary: finding it (and one clear line when there is none), probing
// a clip's size, exact frame rate, frame count and audio (with ffprobe and without it), decoding
// its frames shrunk to a side, and encoding frames back at that rate with the audio carried over.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, writeImage } from '../src/index.js';
import { decodeFrames, encodeVideo, findFfmpeg, NO_FFMPEG, probeVideo, rational, type FfmpegTools } from '../src/node/ffmpeg.js';
import { picture } from './helpers/pictures.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-ffmpeg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (!hasFfmpeg) console.warn('[skip] ffmpeg tests: no ffmpeg on PATH (apt-get install ffmpeg)');
let tools: FfmpegTools;

/** 6 frames of ffmpeg's test pattern at NTSC's 30000/1001 fps, 64×48, with a 440 Hz tone. */
export function makeClip(file: string, size = '64x48', frames = 6): void {
  const made = spawnSync('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=30000/1001`],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-frames:v', String(frames)],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file],
  ]);
  if (made.status !== 0) throw new Error(String(made.stderr));
}

beforeAll(() => {
  if (!hasFfmpeg) return;
  tools = findFfmpeg();
  makeClip(path('clip.mp4'));
});

describe('finding ffmpeg', () => {
  it('takes $WGPU_STYLE_FFMPEG first, then PATH; refuses a bad $WGPU_STYLE_FFMPEG in one line', () => {
    const bin = path('bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ffmpeg'), '#!/bin/sh\n');
    chmodSync(join(bin, 'ffmpeg'), 0o755);
    expect(findFfmpeg({ PATH: bin })).toMatchObject({ ffmpeg: join(bin, 'ffmpeg'), source: 'PATH' });
    expect(findFfmpeg({ PATH: '/nowhere', WGPU_STYLE_FFMPEG: join(bin, 'ffmpeg') })).toMatchObject({ source: 'WGPU_STYLE_FFMPEG' });
    expect(() => findFfmpeg({ PATH: bin, WGPU_STYLE_FFMPEG: path('missing') })).toThrow(
      /^WGPU_STYLE_FFMPEG=.*missing: not an executable file; point it at an ffmpeg binary or unset it$/,
    );
  });

  it('without one, says how to get one (and that frames folders need none)', () => {
    let packaged = false;
    try {
      import.meta.resolve('@ffmpeg-installer/ffmpeg');
      packaged = true;
    } catch {
      // not installed: the usual case
    }
    if (packaged) return; // the npm package would be found; nothing to check here
    expect(() => findFfmpeg({ PATH: path('empty') })).toThrow(NO_FFMPEG);
    expect(NO_FFMPEG).toMatch(/apt-get install ffmpeg.*WGPU_STYLE_FFMPEG.*frames\/%04d\.png/);
  });

  it('reads frame rates as rationals', () => {
    expect(rational('30000/1001')).toEqual({ num: 30000, den: 1001 });
    expect(rational('25')).toEqual({ num: 25, den: 1 });
    expect(rational('0/0')).toBeNull();
  });
});

describe.runIf(hasFfmpeg)('a clip through ffmpeg', () => {
  it('probes size, the exact frame rate, the frame count and the audio, with ffprobe and without it', async () => {
    const expected = { width: 64, height: 48, fps: { num: 30000, den: 1001 }, audio: { codec: 'aac' } };
    expect(await probeVideo(path('clip.mp4'), tools)).toEqual({ ...expected, frames: 6 });
    expect(await probeVideo(path('clip.mp4'), { ...tools, ffprobe: null })).toEqual({ ...expected, frames: null });
  });

  it('refuses a file that is not a video with one line naming it', async () => {
    writeImage(path('still.png'), picture(8, 8, 'content'));
    writeFileSync(path('text.mp4'), 'not a video');
    await expect(probeVideo(path('text.mp4'), tools)).rejects.toThrow(
      /text\.mp4: ffprobe failed \(.*\); give a video file that ffmpeg can play, or a folder of its frames$/,
    );
    await expect(probeVideo(path('still.png'), tools)).resolves.toMatchObject({ width: 8, height: 8 });
  });

  it('decodes every frame shrunk to the longer side, and encodes them back at the same rate with the audio', async () => {
    const frames = path('frames');
    mkdirSync(frames);
    expect(await decodeFrames(path('clip.mp4'), frames, tools, 40)).toBe(6);
    expect(readdirSync(frames).sort()).toEqual(['000001.png', '000002.png', '000003.png', '000004.png', '000005.png', '000006.png']);
    expect(readImage(join(frames, '000006.png'))).toMatchObject({ width: 40, height: 30 });
    // An odd size is cropped to even sides (yuv420p).
    writeImage(join(frames, '000001.png'), picture(41, 31, 'content'));
    for (let i = 2; i <= 6; i++) writeImage(join(frames, `00000${i}.png`), picture(41, 31, 'style'));
    const out = path('out.mp4');
    const audioFrom = { path: path('clip.mp4'), codec: 'aac' };
    await encodeVideo({ folder: frames, frames: 6, fps: { num: 30000, den: 1001 }, audioFrom, output: out }, tools);
    expect(await probeVideo(out, tools)).toEqual({
      width: 40,
      height: 30,
      fps: { num: 30000, den: 1001 },
      frames: 6,
      audio: { codec: 'aac' },
    });
    expect(readdirSync(work).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a video without audio gives one without audio; a failed encode leaves no output and no temporary file', async () => {
    const frames = path('frames2');
    mkdirSync(frames);
    for (let i = 1; i <= 3; i++) writeImage(join(frames, `00000${i}.png`), picture(16, 12, 'content'));
    const request = { folder: frames, frames: 3, fps: { num: 12, den: 1 }, audioFrom: null };
    await encodeVideo({ ...request, output: path('silent.mkv') }, tools);
    mkdirSync(path('taken.mp4'));
    await expect(encodeVideo({ ...request, output: path('taken.mp4') }, tools)).rejects.toThrow(
      /taken\.mp4: cannot write the video \(a folder of that name is there\); the frames are kept in .*frames2: move what is at .*taken\.mp4 away and run the same command with --resume$/,
    );
    expect(readdirSync(work).filter((n) => n.startsWith('.taken'))).toEqual([]);
    expect(await probeVideo(path('silent.mkv'), tools)).toMatchObject({ width: 16, height: 12, fps: { num: 12, den: 1 }, audio: null });
    writeFileSync(join(frames, '000002.png'), 'not a PNG');
    await expect(encodeVideo({ ...request, output: path('broken.mp4') }, tools)).rejects.toThrow(
      /broken\.mp4: ffmpeg failed \(.+\); the frames are kept in .+: fix the cause and run the same command with --resume to encode them$/,
    );
    rmSync(join(frames, '000003.png'));
    await expect(encodeVideo({ ...request, output: path('broken.mp4') }, tools)).rejects.toThrow(
      /000003\.png: missing; the video needs frames 1 to 3/,
    );
    expect(readdirSync(work).filter((n) => n.startsWith('.broken') || n === 'broken.mp4')).toEqual([]);
  });
});
