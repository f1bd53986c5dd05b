import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, stylize, syntheticWeights, writeImage, type StyleProgress } from '../src/index.js';
import { convertTfjsFolder, writeWeightsFile } from '../src/node/weights-files.js';
import { cli } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';
import { IMAGES, sharedAvailable, TFJS_MODEL } from './helpers/shared.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const run = (args: string[], onStderr?: Parameters<typeof cli>[1]['onStderr']) =>
  cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: path('empty-cache') }, onStderr });

const TINY = ['--weights', 'syn.bin', '--size', '32', '--scales', '1'];

beforeAll(async () => {
  await writeWeightsFile(path('syn.bin'), syntheticWeights(5));
  writeImage(path('content.png'), picture(40, 30, 'content'));
  writeImage(path('style.jpg'), picture(32, 32, 'style'));
  writeImage(path('style2.png'), picture(24, 36, 'style'));
});

describe('style transfer from the command line (synthetic weights)', () => {
  it('writes a PNG of the right size; --json reports a falling loss', async () => {
    const r = await run([
      'content.png',
      'style.jpg',
      ...TINY,
      '--steps',
      '30',
      '--lr',
      '0.2',
      '--print-every',
      '5',
      '--json',
      '-o',
      'out.png',
    ]);
    expect(r.stderr).not.toMatch(/^wgpu-style:/m);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; total: number; step: number });
    const progress = lines.filter((l) => l.type === 'progress');
    expect(progress.map((p) => p.step)).toEqual([1, 5, 10, 15, 20, 25, 30]);
    expect(progress.at(-1)!.total).toBeLessThan(0.7 * progress[0]!.total);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', width: 32, height: 24, stopped: null });
    const out = readImage(path('out.png'));
    expect([out.width, out.height]).toEqual([32, 24]);
  });

  it('--seed makes --init random reproducible, and another seed changes the result', async () => {
    const args = ['content.png', 'style.jpg', ...TINY, '--steps', '3', '--init', 'random'];
    expect((await run([...args, '--seed', '7', '-o', 'r1.png'])).code).toBe(0);
    expect((await run([...args, '--seed', '7', '-o', 'r2.png'])).code).toBe(0);
    expect((await run([...args, '--seed', '8', '-o', 'r3.png'])).code).toBe(0);
    expect(readFileSync(path('r1.png'))).toEqual(readFileSync(path('r2.png')));
    expect(readFileSync(path('r1.png'))).not.toEqual(readFileSync(path('r3.png')));
  });

  it('blends two styles, keeps the original colours, pools by average, and saves intermediate images', async () => {
    const r = await run([
      'content.png',
      'style.jpg',
      'style2.png',
      ...TINY,
      '--steps',
      '4',
      '--style-blend',
      '3,1',
      '--original-colors',
      '--pooling',
      'avg',
      '--save-every',
      '2',
      '-o',
      'blend.jpg',
      '--quality',
      '80',
    ]);
    expect(r.stderr).not.toMatch(/^wgpu-style:/m);
    expect(r.code).toBe(0);
    for (const name of ['blend.jpg', 'blend-s1-0002.jpg', 'blend-s1-0004.jpg']) expect(existsSync(path(name)), name).toBe(true);
  });

  it('refuses bad input with a clear message, exit code 2, and leaves existing files alone', async () => {
    writeFileSync(path('keep.png'), 'precious');
    writeFileSync(path('corrupt.jpg'), Uint8Array.from([0xff, 0xd8, 0xff, 0xdb, 0, 4, 9, 9, 9, 9]));
    const cases: Array<[string[], RegExp]> = [
      [['missing.jpg', 'style.jpg', ...TINY, '-o', 'keep.png'], /missing\.jpg: no such file/],
      [['corrupt.jpg', 'style.jpg', ...TINY, '-o', 'keep.png'], /corrupt\.jpg: cannot decode the image/],
      [['content.png', 'style.jpg', ...TINY, '--colour', 'red', '-o', 'keep.png'], /unknown option --colour; see `wgpu-style --help`/],
      [['content.png', 'style.jpg', ...TINY, '-o', 'no-such-dir/out.png'], /cannot write into .*no-such-dir/],
      [
        ['content.png', 'style.jpg', ...TINY, '-o', 'content.png'],
        /--output content\.png is the input content\.png; refusing to write over it/,
      ],
      [['content.png', 'style.jpg', ...TINY, '--steps', 'many', '-o', 'keep.png'], /--steps must be a number, got "many"/],
      [['content.png', 'style.jpg', ...TINY, '--style-layers', 'conv9_1', '-o', 'keep.png'], /unknown VGG-19 layer "conv9_1"/],
      [
        ['content.png', 'style.jpg', ...TINY, '--size', '8', '-o', 'keep.png'],
        /--size and --scales make a 8×6 scale, too small for layer 28/,
      ],
      [
        ['content.png', 'style.jpg', '--offline', '--size', '32', '--scales', '1', '-o', 'keep.png'],
        /no weights in the cache .*--offline forbids downloading/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
    expect(readFileSync(path('keep.png'), 'utf8')).toBe('precious');
    expect(readFileSync(path('content.png')).subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  it('Ctrl-C writes the current image and exits 130', async () => {
    let sent = false;
    const r = await run(
      ['content.png', 'style.jpg', ...TINY, '--steps', '5000', '--print-every', '1', '-o', 'interrupted.png'],
      (text, child) => {
        if (!sent && /step 2\//.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    );
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/^stopping \(Ctrl-C again to quit at once\)$/m);
    expect(r.stderr).toMatch(/^note: stopped after step \d+ of scale 1\nwrote \S*interrupted\.png \(/m);
    expect(readImage(path('interrupted.png')).width).toBe(32);
  });

  it('a loss that overflows stops the run, keeps the last good image and exits 3', async () => {
    const r = await run(['content.png', 'style.jpg', ...TINY, '--steps', '50', '--lr', '1e30', '--print-every', '1', '-o', 'diverged.png']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /error: the loss became (NaN|Infinity) at step 2 of scale 1; kept the image from step 1, whose loss was finite \(try a smaller --lr/,
    );
    expect(readImage(path('diverged.png')).width).toBe(32);
  });

  it('a divergence between two reports is placed at its step (recorded on the device), not at the report that finds it', async () => {
    const r = await run([
      'content.png',
      'style.jpg',
      ...TINY,
      '--steps',
      '50',
      '--lr',
      '1e30',
      '--print-every',
      '20',
      '-o',
      'diverged.png',
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /error: the loss became (NaN|Infinity) at step 2 of scale 1; kept the image from step 1, whose loss was finite/,
    );
  });

  it('loss weights that overflow at the first step are blamed, not --lr; NaN or infinite weights are refused before any work', async () => {
    const r = await run(['content.png', 'style.jpg', ...TINY, '--steps', '5', '--style-weight', '1e39', '-o', 'huge.png']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /error: the loss was (NaN|Infinity) at step 1 of scale 1, before any step: the loss weights \(--content-weight [\d.e+]+, --style-weight 1e\+39, --tv-weight [\d.e+-]+\) make it overflow 32-bit floats; use smaller ones/,
    );
    expect(r.stderr).not.toMatch(/--lr/);
    for (const bad of ['NaN', 'Infinity', '-Infinity']) {
      const refused = await run(['content.png', 'style.jpg', ...TINY, `--content-weight=${bad}`, '-o', 'huge.png']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(new RegExp(`^wgpu-style: --content-weight must be a number, got "${bad}"\n$`));
    }
  });
});

describe('library API', () => {
  it('VGG weights whose features overflow are blamed at the first step, not --lr or the loss weights', async () => {
    const weights = syntheticWeights(5);
    weights.tensors.get('conv1_1.weight')!.data.fill(1e30);
    const result = await stylize({
      content: picture(40, 30, 'content'),
      styles: [picture(32, 32, 'style')],
      weights,
      size: 32,
      scales: 1,
      steps: 3,
      autotune: false,
    });
    expect(result.stopped).toBe('diverged');
    expect(result.message).toMatch(
      /^the (content|style)( and style)? loss was (NaN|Infinity) at step 1 of scale 1, before any step: the VGG weights \(--weights\) give values 32-bit floats cannot hold; check that file$/,
    );
  });

  it('stylize() takes images, reports progress, and stops on an AbortSignal', async () => {
    const controller = new AbortController();
    const seen: StyleProgress[] = [];
    const result = await stylize({
      content: picture(40, 30, 'content'),
      styles: [path('style.jpg')],
      weights: syntheticWeights(5),
      size: 32,
      scales: 1,
      steps: 1000,
      printEvery: 1,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.step === 3) controller.abort();
      },
    });
    expect(result.stopped).toBe('aborted');
    expect(seen.map((p) => p.step)).toEqual([1, 2, 3]);
    expect([result.image.width, result.image.height]).toEqual([32, 24]);
  });

  it('--preset seed runs the seed schedule: 200×100 then 560×320, each scale from the last', async () => {
    const result = await stylize({
      content: picture(40, 30, 'content'),
      styles: [picture(32, 32, 'style')],
      weights: syntheticWeights(5),
      preset: 'seed',
      presetStepsScale: 0.004, // 2 steps, then 1
      // The schedule is what is tested; one layer keeps 560×320 quick on a software GPU.
      contentLayers: ['conv1_1'],
      styleLayers: ['conv1_1'],
      printEvery: 1,
    });
    expect(result.history.map((p) => [p.scale, p.step, p.width, p.height])).toEqual([
      [1, 1, 200, 100],
      [1, 2, 200, 100],
      [2, 1, 560, 320],
    ]);
    expect([result.image.width, result.image.height]).toEqual([560, 320]);
  });
});

describe.runIf(
  sharedAvailable('style transfer with real weights', TFJS_MODEL) && sharedAvailable('real images', join(IMAGES, 'starry_night.jpg')),
)('style transfer with the real ../shared weights (blocks 1–3)', () => {
  it('tubingen × starry_night at 64 px: the style loss falls more than 5×', async () => {
    const weights = await convertTfjsFolder(TFJS_MODEL, 18);
    const result = await stylize({
      content: join(IMAGES, 'tubingen.jpg'),
      styles: [join(IMAGES, 'starry_night.jpg')],
      weights,
      size: 64,
      scales: 1,
      steps: 100,
      lr: 0.05,
      contentLayers: ['conv3_4'],
      styleLayers: ['conv1_1', 'conv2_1', 'conv3_1'],
      contentWeight: 0.1,
      printEvery: 100,
    });
    const [first, last] = [result.history[0]!, result.history.at(-1)!];
    console.log(`real weights, 64 px: style ${first.style} -> ${last.style}, ${last.stepSeconds.toFixed(2)} s/step`);
    writeImage(path('tubingen-starry.png'), result.image);
    expect(last.style! * 5).toBeLessThan(first.style!);
  });
});
