// `wgpu-style video` end to end, tiny (6 frames, 48 px, a few steps, synthetic weights): frames
// folders in and out with no ffmpeg on PATH; a SIGKILL'd run resumed with --resume redoes no
// finished frame and ends with the same frames as a run never stopped; an MP4 in gives an MP4 out
// with the frame rate and the audio; without ffmpeg, a video file gets one line naming the fix.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, syntheticWeights, writeImage } from '../src/index.js';
import { findFfmpeg, probeVideo } from '../src/node/ffmpeg.js';
import { FileFrameSource, listInputFrames, parseFramePattern, PatternFrameStore } from '../src/node/video-frames.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { cli } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';
import { makeClip, texture, warpingError } from './helpers/video-clip.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-video-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const NO_FFMPEG_PATH = path('empty-bin');
const env = { WGPU_STYLE_CACHE: path('cache'), WGPU_STYLE_AUTOTUNE: '0' };
const run = (args: string[], extra: Record<string, string> = {}, onStderr?: Parameters<typeof cli>[1]['onStderr']) =>
  cli(args, { cwd: work, env: { ...env, ...extra }, onStderr });
// Layers up to conv2_1 only: the network is a few convs deep, so each run takes seconds.
const LAYERS = ['--content-layers', 'conv2_1', '--style-layers', 'conv1_1,conv2_1'];
const TINY = ['style.png', '--weights', 'syn.bin', '--size', '48', '--scales', '1', '--steps', '4', '--frame-steps', '3', ...LAYERS];
const FRAMES = 6;
const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
/** A pan of 2 px a frame over a smooth texture, 48×36. */
const clip = makeClip(texture(48 + 2 * (FRAMES - 1), 36), { width: 48, height: 36, frames: FRAMES, pan: 2 });

beforeAll(async () => {
  await writeWeightsFile(path('syn.bin'), syntheticWeights(5));
  writeImage(path('style.png'), picture(32, 32, 'style'));
  mkdirSync(NO_FFMPEG_PATH);
  mkdirSync(path('clip'));
  clip.frames.forEach((f, i) => writeImage(path(`clip/f${i + 1}.png`), f));
});

const frameFiles = (folder: string) =>
  readdirSync(path(folder))
    .filter((n) => /^\d{4}\.png$/.test(n))
    .sort();

describe('frames as files', () => {
  it('reads printf patterns, and refuses one with two numbers or another extension', () => {
    expect(parseFramePattern('out/%04d.png')).toEqual({ folder: 'out', prefix: '', digits: 4, suffix: '.png' });
    expect(parseFramePattern('a/f%d-x.JPG')).toEqual({ folder: 'a', prefix: 'f', digits: 1, suffix: '-x.JPG' });
    expect(parseFramePattern('still.png')).toBeNull();
    expect(() => parseFramePattern('a/%d-%d.png')).toThrow(/a frames pattern has one number in its file name/);
    expect(() => parseFramePattern('a/%04d.gif')).toThrow(/frames must be \.png, \.jpg, \.jpeg files/);
  });

  it('lists a folder by name with numbers compared as numbers, and a pattern by its numbers', () => {
    const dir = path('order');
    mkdirSync(dir);
    for (const n of ['f10.png', 'f2.png', 'f1.png', 'notes.txt', '.hidden.png', 'g3.png']) writeFileSync(join(dir, n), '');
    expect(listInputFrames(dir).map((p) => basename(p))).toEqual(['f1.png', 'f2.png', 'f10.png', 'g3.png']);
    expect(listInputFrames(join(dir, 'f%d.png')).map((p) => basename(p))).toEqual(['f1.png', 'f2.png', 'f10.png']);
    expect(() => listInputFrames(join(dir, 'h%03d.png'))).toThrow(/no frames in it/);
  });

  it('a frame of another size is refused naming both; a store writes whole frames and reads them back', async () => {
    writeImage(path('s1.png'), picture(8, 6, 'content'));
    writeImage(path('s2.png'), picture(6, 8, 'content'));
    const source = new FileFrameSource([path('s1.png'), path('s2.png')]);
    await expect(source.read(1)).rejects.toThrow(
      /s2\.png is 6×8, but the first frame \(.*s1\.png\) is 8×6; every frame must be the same size/,
    );
    mkdirSync(path('store'));
    const store = new PatternFrameStore(parseFramePattern(path('store/%03d.png'))!);
    expect(await store.read(1)).toBeNull();
    await store.write(1, picture(8, 6, 'style'));
    expect(existsSync(path('store/002.png'))).toBe(true);
    expect((await store.read(1))!.data).toEqual(picture(8, 6, 'style').data);
    expect(store.existing(3)).toEqual([1]);
  });
});

describe('wgpu-style video with frames folders (no ffmpeg on PATH)', () => {
  it('stylises every frame, with progress per frame and an ETA for the video', async () => {
    const r = await run(['video', 'clip', ...TINY, '-o', 'a/%04d.png'], { PATH: NO_FFMPEG_PATH });
    expect(r.stderr).not.toMatch(/wgpu-style:/);
    expect(r.code).toBe(0);
    expect(frameFiles('a')).toEqual(['0001.png', '0002.png', '0003.png', '0004.png', '0005.png', '0006.png']);
    expect(r.stderr).toMatch(/frame 1\/6 done in [\d.]+ s.*video 1\/6, ETA/);
    expect(r.stderr).toMatch(/frame 6\/6 done in [\d.]+ s \(flow [\d.]+ s\).*video 6\/6/);
    expect(r.stderr).toMatch(/wrote a\/%04d\.png: 6 frames in/);
  });

  it('a SIGKILL mid-run, then --resume (stopped once more by Ctrl-C): finished frames are kept as they were, and the frames equal the run never stopped', async () => {
    let killed = false;
    const first = await run(['video', 'clip', ...TINY, '-o', 'b/%04d.png'], { PATH: NO_FFMPEG_PATH }, (stderr, child) => {
      if (!killed && /frame 2\/6 done/.test(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    expect(first.signal).toBe('SIGKILL');
    const kept = frameFiles('b');
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.length).toBeLessThan(FRAMES);
    const before = new Map(kept.map((n) => [n, statSync(path(`b/${n}`), { bigint: true }).mtimeNs]));

    const refused = await run(['video', 'clip', ...TINY, '-o', 'b/%04d.png']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^wgpu-style: .*b\/0001\.png exists \(\d of 6 frames\): add --resume to go on from them, or remove them\n$/,
    );

    // --resume with another style or setting than the killed run's: refused, naming what differs.
    for (const [args, differs] of [
      [['clip/f1.png', ...TINY.slice(1)], /the style 1 image differs/],
      [[...TINY, '--temporal-weight', '50'], /setting temporalWeight was 200, now 50/],
    ] as const) {
      const other = await run(['video', 'clip', ...args, '-o', 'b/%04d.png', '--resume'], { PATH: NO_FFMPEG_PATH });
      expect(other.code, other.stderr).toBe(2);
      expect(other.stderr).toMatch(/^wgpu-style: the frames in b belong to another run \(\.%04d\.png\.wgpu-style-run\.json\): /m);
      expect(other.stderr).toMatch(differs);
    }

    // Ctrl-C (SIGINT) in the resumed run: exit 130, the frame in progress dropped, and how to go on.
    let interrupted = false;
    const again = ['video', 'clip', ...TINY, '-o', 'b/%04d.png', '--resume'];
    const stopped = await run(again, { PATH: NO_FFMPEG_PATH }, (stderr, child) => {
      if (!interrupted && new RegExp(`frame ${kept.length + 1}/6 done`).test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(
      /stopped with \d of 6 frames done \(in b\/%04d\.png\); run the same command with --resume to go on from frame \d\n$/,
    );
    const afterStop = frameFiles('b').length;
    expect(afterStop).toBeGreaterThan(kept.length);
    expect(afterStop).toBeLessThan(FRAMES);
    const resumed = await run(again, { PATH: NO_FFMPEG_PATH });
    expect(resumed.stderr).not.toMatch(/wgpu-style:/);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resuming: ${afterStop} of 6 frames are done`));
    // Not one step of a finished frame again: the first step report is for the first missing frame.
    expect(/frame (\d+)\/6 (?:\d+×\d+ )?step/.exec(resumed.stderr)?.[1]).toBe(String(afterStop + 1));
    for (const [name, mtime] of before) expect(statSync(path(`b/${name}`), { bigint: true }).mtimeNs, name).toBe(mtime);
    expect(frameFiles('b')).toEqual(frameFiles('a'));
    for (const name of frameFiles('a')) expect(readFileSync(path(`b/${name}`)).equals(readFileSync(path(`a/${name}`))), name).toBe(true);
  });
});

describe('bad frames are refused before any GPU work', () => {
  it('a folder with a file that is not an image, or a frame of another size: one line naming it, exit 2, no output made', async () => {
    for (const [name, bad] of [
      ['notimage', () => writeFileSync(path('notimage/f3b.png'), 'not a png')],
      ['othersize', () => writeImage(path('othersize/f6.png'), picture(36, 48, 'content'))],
    ] as const) {
      mkdirSync(path(name));
      clip.frames.forEach((f, i) => writeImage(path(`${name}/f${i + 1}.png`), f));
      bad();
      const r = await run(['video', name, ...TINY, '-o', `${name}-out/%04d.png`], { PATH: NO_FFMPEG_PATH });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        name === 'notimage'
          ? /^wgpu-style: notimage\/f3b\.png: cannot decode the image \(not a JPEG or PNG file\).*\n$/
          : /^wgpu-style: othersize\/f6\.png is 36×48, but the first frame \(othersize\/f1\.png\) is 48×36; every frame must be the same size.*\n$/,
      );
      expect(existsSync(path(`${name}-out`)), `${name}-out`).toBe(false);
    }
  });

  it('frames written into the input folder (read as input by the next run) are refused', async () => {
    mkdirSync(path('inside'));
    clip.frames.forEach((f, i) => writeImage(path(`inside/f${i + 1}.png`), f));
    const r = await run(['video', 'inside', ...TINY, '-o', './inside/out%04d.png'], { PATH: NO_FFMPEG_PATH });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^wgpu-style: -o \.\/inside\/out%04d\.png is in the input folder inside: .*choose another folder, such as inside\/out\/%04d\.png\n$/,
    );
    expect(readdirSync(path('inside')).filter((n) => n.startsWith('out'))).toEqual([]);
  });

  it.runIf(hasFfmpeg)('-o naming a folder is refused before any work, and leaves no work folder', async () => {
    mkdirSync(path('folder.mp4'));
    const r = await run(['video', 'clip', ...TINY, '-o', 'folder.mp4']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^wgpu-style: -o folder\.mp4 is a folder; give a file name in it, such as folder\.mp4\/out\.mp4\n$/);
    expect(existsSync(path('folder.mp4.frames'))).toBe(false);
  });

  it('a refusal at planning leaves no output folder made for it', async () => {
    const r = await run(['video', 'clip', ...TINY, '--flow-relative-indices', '2,4', '-o', 'made/deep/%04d.png']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^wgpu-style: --flow-relative-indices must be .*; got 2,4\n$/);
    expect(existsSync(path('made'))).toBe(false);
  });

  it('--resume with another --size than the frames found is refused naming a frame and both sizes', async () => {
    mkdirSync(path('sized'));
    // Frames as the 48 px run made them (48×36), all of them: nothing is left to stylise.
    clip.frames.forEach((f, i) => writeImage(path(`sized/${String(i + 1).padStart(4, '0')}.png`), f));
    const r = await run(['video', 'clip', ...TINY, '--size', '40', '-o', 'sized/%04d.png', '--resume'], { PATH: NO_FFMPEG_PATH });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^wgpu-style: sized\/0001\.png is 48×36 but this run makes 40×30 frames: resume with the settings of the run that wrote it \(--size\), or start again in an empty output\n$/,
    );
  });
});

describe('the temporal term end to end', () => {
  it("from random starts, the warping error is far below the independent frames' (--temporal-weight 0)", async () => {
    const error: Record<string, number> = {};
    for (const weight of ['0', '200']) {
      const r = await run(['video', 'clip', ...TINY, '--init', 'random', '--temporal-weight', weight, '-o', `r${weight}/%04d.png`]);
      expect(r.code, r.stderr).toBe(0);
      error[weight] = warpingError(
        frameFiles(`r${weight}`).map((n) => readImage(path(`r${weight}/${n}`))),
        clip,
      );
    }
    // Measured: 2.3e-3 against 0.16 (70× lower); independent random starts differ everywhere.
    expect(error['200']!).toBeLessThan(error['0']! / 10);
  });
});

describe('wgpu-style video with video files', () => {
  it.runIf(hasFfmpeg)('MP4 in, MP4 out: the frame rate and the audio are carried over; the work folder goes', async () => {
    const made = spawnSync('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=30000/1001', '-f', 'lavfi'],
      ...['-i', 'sine=frequency=440:sample_rate=44100', '-frames:v', String(FRAMES), '-c:v', 'libx264'],
      ...['-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path('in.mp4')],
    ]);
    expect(made.status, String(made.stderr)).toBe(0);
    const r = await run(['video', 'in.mp4', ...TINY, '-o', 'out.mp4']);
    expect(r.stderr).not.toMatch(/wgpu-style:/);
    expect(r.code).toBe(0);
    const info = await probeVideo(path('out.mp4'), findFfmpeg());
    expect(info).toEqual({ width: 48, height: 36, fps: { num: 30000, den: 1001 }, frames: FRAMES, audio: { codec: 'aac' } });
    expect(existsSync(path('out.mp4.frames'))).toBe(false);
  });

  it.runIf(hasFfmpeg)('a refusal before frame 1 (a plan too small for the layers) leaves no work folder beside the video', async () => {
    const r = await run(['video', 'clip', 'style.png', '--weights', 'syn.bin', '--size', '48', '-o', 'refused.mp4']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^wgpu-style: --size and --scales make a \d+×\d+ scale, too small for layer \d+.*\n$/);
    expect(existsSync(path('refused.mp4.frames'))).toBe(false);
  });

  it('a FIFO or a device as the video is refused at once (ffprobe would wait for ever)', async () => {
    spawnSync('mkfifo', [path('pipe.mp4')]);
    for (const [input, kind] of [
      [path('pipe.mp4'), 'a FIFO'],
      ['/dev/zero', 'a'],
    ]) {
      const r = await run(['video', input!, ...TINY, '-o', 'fifo/%04d.png']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`^wgpu-style: ${input}.* is ${kind}.*, not a regular file; give a video file, or a folder of frames\\n$`),
      );
    }
  }, 60_000);

  it('without ffmpeg, a video input or output is one line naming the fix, before any work', async () => {
    if (!existsSync(path('in.mp4'))) writeFileSync(path('in.mp4'), 'a video (ffmpeg is not asked)');
    for (const args of [
      ['video', 'in.mp4', ...TINY, '-o', 'x/%04d.png'],
      ['video', 'clip', ...TINY, '-o', 'x.mp4'],
    ]) {
      const r = await run(args, { PATH: NO_FFMPEG_PATH });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^wgpu-style: no ffmpeg found, needed to read and write video files: install it \(Debian\/Ubuntu: apt-get install ffmpeg.*WGPU_STYLE_FFMPEG.*\n$/,
      );
      for (const made of ['x', 'x.mp4', 'x.mp4.frames']) expect(existsSync(path(made)), made).toBe(false);
    }
  });

  it('--help lists the video options with the style options; a bad output is refused', async () => {
    const help = await run(['video', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: wgpu-style video .*--resume.*--temporal-weight.*--frame-steps.*--style-weight/s);
    expect(help.stdout).not.toMatch(/--save-every|--checkpoint/);
    const bad = await run(['video', 'clip', ...TINY, '-o', 'out.gif']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/-o out\.gif: give a video file \(\.mp4, \.m4v, \.mov, \.mkv\) or a frames pattern such as out\/%04d\.png/);
  });
});
