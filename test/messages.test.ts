// What a person sees when a setting, a device choice or a cache file is wrong: the core's errors
// carry data (a setting's key, the backends and adapters that exist), and the command line
// words them in one line with its own flags, exit code 2 and no stack trace.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagFor, userMessage } from '../src/cli/errors.js';
import { NoAdapterError, NullBackendError, UnknownAdapterError, UnknownBackendError } from '../src/gpu/index.js';
import { syntheticWeights, writeImage } from '../src/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { checkMemory } from '../src/plan/memory-messages.js';
import { planJob } from '../src/plan/plan-job.js';
import { OptionError } from '../src/util/errors.js';
import { picture } from './helpers/pictures.js';
import { PROGRESS_LINE } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/shared.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-messages-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Runs the CLI with stderr on a file opened for appending (as `2>>log` does). There, as on a
 * terminal or a shell pipe, Dawn's "artificially reduced" warnings are filtered out; on the
 * socket Node's spawn gives a child (test/helpers/cli.ts) they cannot be (see src/node/gpu.ts).
 */
async function run(args: string[], cache = join(work, 'cache')): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const errFile = join(work, `stderr-${randomUUID()}.txt`);
  const fd = openSync(errFile, 'a');
  try {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'wgpu-style.js'), ...args], {
      cwd: work,
      env: { ...process.env, WGPU_STYLE_CACHE: cache, WGPU_STYLE_BACKEND: '', WGPU_STYLE_ADAPTER: '' },
      stdio: ['ignore', 'pipe', fd],
    });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    return { code, stdout, stderr: readFileSync(errFile, 'utf8') };
  } finally {
    closeSync(fd);
  }
}
const TINY = ['--weights', 'syn.bin', '--size', '32', '--scales', '1', '--steps', '2', '-o', 'out.png'];

/** Exit 2 and exactly one line on stderr besides the run's progress (its phases), matching every pattern, without a stack trace. */
function expectOneLine(r: { code: number | null; stderr: string }, ...patterns: RegExp[]): string {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr
    .trimEnd()
    .split('\n')
    .filter((l) => !PROGRESS_LINE.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  for (const pattern of patterns) expect(lines[0]).toMatch(pattern);
  return lines[0]!;
}

function refusalOf(f: () => void): OptionError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(OptionError);
    return err as OptionError;
  }
  throw new Error('accepted');
}

function refusal(settings: Parameters<typeof planJob>[0], styleCount?: number): OptionError {
  try {
    planJob(settings, 40, 30, styleCount);
  } catch (err) {
    expect(err).toBeInstanceOf(OptionError);
    return err as OptionError;
  }
  throw new Error(`planJob accepted ${JSON.stringify(settings)}`);
}

describe('planJob refuses settings with an OptionError that names the setting by its key', () => {
  it('carries the key, the value and the reason; the CLI words the key as its flag', () => {
    const err = refusal({ lrDecayEvery: 0 });
    expect([err.option, err.value]).toEqual(['lrDecayEvery', 0]);
    expect(err.reason).toMatch(/whole number >= 1, got 0/);
    expect(flagFor('lrDecayEvery')).toBe('--lr-decay-every');
    expect(flagFor('styleScale')).toBe('--style-scale');
    expect(flagFor('styleLayerWeights')).toBe('--style-layer-weights');
    expect(userMessage(err)).toBe('--lr-decay-every must be a whole number >= 1, got 0');
    expect(userMessage(refusal({ styleScale: -1 }))).toMatch(/^--style-scale must be a number > 0, got -1$/);
  });

  it('style-layer weights: all zero or negative are refused, like style-blend weights', () => {
    const layers = ['0', '5', '10'];
    expect(refusal({ styleLayers: layers, styleLayerWeights: [0, 0, 0] })).toMatchObject({
      option: 'styleLayerWeights',
      reason: expect.stringMatching(/>= 0, not all 0, got 0,0,0/),
    });
    expect(refusal({ styleLayers: layers, styleLayerWeights: [1, -1, 1] }).option).toBe('styleLayerWeights');
    expect(refusal({ styleLayers: layers, styleLayerWeights: [1, 1] }).reason).toMatch(
      /one weight per style layer \(3: conv1_1, conv2_1, conv3_1\), got 2/,
    );
    expect(() => planJob({ styleLayers: layers, styleLayerWeights: [0, 0, 2] }, 40, 30)).not.toThrow();
  });

  it('all three loss weights 0 leave nothing to optimise', () => {
    const err = refusal({ contentWeight: 0, styleWeight: 0, tvWeight: 0 });
    expect(err.options).toEqual(['contentWeight', 'styleWeight', 'tvWeight']);
    expect(userMessage(err)).toMatch(/^--content-weight, --style-weight and --tv-weight are all 0, which leaves nothing to optimise/);
    expect(() => planJob({ contentWeight: 0, styleWeight: 0, tvWeight: 1 }, 40, 30)).not.toThrow();
  });

  it('a layer listed twice, by index or by name, is refused naming the duplicate', () => {
    expect(refusal({ contentLayers: ['0', 'conv1_1'] })).toMatchObject({
      option: 'contentLayers',
      reason: expect.stringMatching(/0 and conv1_1, both conv1_1/),
    });
    expect(refusal({ styleLayers: ['5', '10', '5'] }).reason).toMatch(/5 twice/);
    expect(refusal({ styleLayers: ['block1_conv1', 'conv1_1'] }).reason).toMatch(/block1_conv1 and conv1_1, both conv1_1/);
    expect(userMessage(refusal({ styleLayers: ['conv9_1'] }))).toMatch(
      /^--style-layers must be VGG-19 layers \(unknown VGG-19 layer "conv9_1"/,
    );
  });

  it('a --style-scale that alone puts a scale over the memory budget is blamed, with the largest that fits, not --size or --max-memory', () => {
    const plan = (styleScale: number) => planJob({ size: 32, scales: 1, styleScale, maxMemory: 4000 }, 40, 30);
    const err = refusalOf(() => checkMemory(plan(1000).memory!));
    expect(err.option).toBe('styleScale');
    const line = userMessage(err)!;
    expect(line).toMatch(
      /^--style-scale is 1000: the style image would be 32000×24000 at the 32×24 scale, which needs \d+ MiB of GPU memory, more than the 4000 MiB budget: use at most [\d.]+$/,
    );
    expect(line).not.toMatch(/--size|--max-memory|size of at most/);
    const largest = Number(/use at most ([\d.]+)$/.exec(line)![1]);
    expect(() => checkMemory(plan(largest).memory!)).not.toThrow();
    expect(() => checkMemory(plan(largest * 1.1).memory!)).toThrow(/--style-scale|styleScale/);
    // Over the budget at --style-scale 1 too: the size is the thing to change, as before.
    expect(refusalOf(() => checkMemory(planJob({ size: 32, scales: 1, styleScale: 2, maxMemory: 1 }, 40, 30).memory!)).option).toBe(
      'maxMemory',
    );
  });

  it('--seed takes whole numbers from 0 to 2^32 - 1 (the generator is 32-bit)', () => {
    expect(refusal({ seed: 1.5 })).toMatchObject({ option: 'seed', value: 1.5 });
    expect(refusal({ seed: -1 }).option).toBe('seed');
    expect(refusal({ seed: 2 ** 32 }).option).toBe('seed');
    expect(planJob({ seed: 0 }, 40, 30).seed).toBe(0);
  });

  it('style blend: one weight >= 0 per style image, not all 0; a style weight needs a style image', () => {
    expect(refusal({ styleBlend: [1, 2] }, 1).reason).toMatch(/one weight per style image \(1\), got 2: 1,2/);
    expect(refusal({ styleBlend: [-1, 2] }, 2).option).toBe('styleBlend');
    expect(refusal({ styleBlend: [0, 0] }, 2).option).toBe('styleBlend');
    expect(refusal({ styleBlend: [-1] }).option).toBe('styleBlend'); // without the count: the signs still
    expect(refusal({}, 0)).toMatchObject({
      option: 'styleWeight',
      reason: expect.stringMatching(/no style image: give a style image, or set it to 0/),
    });
    // A content image alone with the style term off is a valid job (content + smoothness only).
    expect(planJob({ styleWeight: 0 }, 40, 30, 0).styleBlend).toBeUndefined();
  });
});

describe('the command line words option errors with its flags', () => {
  beforeAll(async () => {
    await writeWeightsFile(join(work, 'syn.bin'), syntheticWeights(5));
    writeImage(join(work, 'content.png'), picture(40, 30, 'content'));
    writeImage(join(work, 'style.png'), picture(32, 32, 'style'));
  });

  it('each refused setting is one line naming its flag, never the internal name', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--lr-decay-every', '0'], /^wgpu-style: --lr-decay-every must be a whole number >= 1, got 0$/],
      [['--style-scale=-1'], /^wgpu-style: --style-scale must be a number > 0, got -1$/],
      [['--save-every', '1.5'], /^wgpu-style: --save-every must be a whole number >= 0, got 1\.5$/],
      [['--style-layer-weights', '0,0,0,0,0'], /--style-layer-weights must be numbers >= 0, not all 0, got 0,0,0,0,0/],
      [['--style-layer-weights', '1,-1,1,1,1'], /--style-layer-weights must be numbers >= 0, not all 0/],
      [['--content-weight', '0', '--style-weight', '0', '--tv-weight', '0'], /--content-weight, --style-weight and --tv-weight are all 0/],
      [['--content-layers', '0,conv1_1'], /--content-layers must name each layer once, got 0 and conv1_1, both conv1_1/],
      [['--seed', '1.5'], /--seed must be a whole number from 0 to 4294967295, got 1\.5/],
      [['--style-blend=-1'], /--style-blend must be numbers >= 0, not all 0, got -1/],
      [['--style-blend', '-1'], /Option '--style-blend' argument is ambiguous\. Did you forget .* use '--style-blend=-XYZ'/],
      [['--style-blend', '1,2'], /--style-blend needs one weight per style image \(1\), got 2: 1,2/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(['content.png', 'style.png', ...TINY, ...args])));
    results.forEach((r, i) => {
      const line = expectOneLine(r, cases[i]![1]);
      expect(line).not.toMatch(/lrDecayEvery|styleScale|saveEvery|styleLayerWeights|contentWeight|contentLayers|styleBlend/);
    });
  });

  it('an unknown option, in every command, is one line naming the nearest option that command takes', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['content.png', 'style.png', ...TINY, '--stlye-weight', '5'],
        /^wgpu-style: unknown option --stlye-weight \(did you mean --style-weight\?\); see `wgpu-style --help`$/,
      ],
      [['content.png', 'style.png', ...TINY, '--orignal-colors'], /unknown option --orignal-colors \(did you mean --original-colors\?\)/],
      [['content.png', 'style.png', ...TINY, '--colour', 'red'], /^wgpu-style: unknown option --colour; see `wgpu-style --help`$/],
      [
        ['info', '--max-memroy', '100'],
        /^wgpu-style: info: unknown option --max-memroy \(did you mean --max-memory\?\); see `wgpu-style info --help`$/,
      ],
      [
        ['demo', '--chanels', '8'],
        /^wgpu-style: demo: unknown option --chanels \(did you mean --channels\?\); see `wgpu-style demo --help`$/,
      ],
      [['weights', 'fetch', '--sha265', 'ab'], /^wgpu-style: weights fetch: unknown option --sha265 \(did you mean --sha256\?\)/],
      [['weights', 'synthetic', '--sed', '1', 'x.bin'], /weights synthetic: unknown option --sed \(did you mean --seed\?\)/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    results.forEach((r, i) => expectOneLine(r, cases[i]![1]));
  });

  it('a weights file that stops before a layer: --up-to only where it is an option (weights convert), the style run names what it can set', async () => {
    const partial = join(REPO_ROOT, 'test', 'fixtures', 'weights', 'vgg19-block1.pth');
    const [convert, style] = await Promise.all([
      run(['weights', 'convert', partial, '-o', 'partial.bin']),
      run(['content.png', 'style.png', ...TINY.filter((a, i) => a !== 'syn.bin' && TINY[i + 1] !== 'syn.bin'), '--weights', partial]),
    ]);
    expectOneLine(
      convert,
      /vgg19-block1\.pth: holds 2 conv layers, the first of VGG-19's; conv2_1 is not among them; use --up-to 4 to convert the layers before it$/,
    );
    // The style run first says that it converts the file (one line), then why it cannot.
    expect(style.code, style.stderr).toBe(2);
    expect(style.stderr).not.toMatch(/\n\s+at |--up-to 4/);
    expect(style.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^wgpu-style: .*conv2_1 is not among them: give weights with all of VGG-19's convs, or convert the layers it has \(wgpu-style weights convert \S+vgg19-block1\.pth --up-to conv1_2 -o part\.bin\) and run with --weights part\.bin and --content-layers and --style-layers up to conv1_2$/,
    );
  });

  it('a content image with --style-weight 0 and no style image runs, without a word about --style-blend', async () => {
    const r = await run(['content.png', '--style-weight', '0', ...TINY]);
    expect(r.stderr).not.toMatch(/style-blend|wgpu-style:/);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('device choices: what exists, not a missing driver, when a name is wrong', () => {
  it('createNodeContext carries the backends and adapters that exist; compute refuses the null backend', async () => {
    const bogus = await createNodeContext({ backend: 'bogus' }).catch((e: unknown) => e);
    expect(bogus).toBeInstanceOf(UnknownBackendError);
    expect((bogus as UnknownBackendError).known).toEqual(expect.arrayContaining(['vulkan', 'null', 'metal', 'd3d12']));
    const available = (bogus as UnknownBackendError).available;
    expect(available.map((a) => a.backend)).toContain('null');
    const nameless = await createNodeContext({ adapter: 'nosuchgpu' }).catch((e: unknown) => e);
    expect(nameless).toBeInstanceOf(UnknownAdapterError);
    expect((nameless as UnknownAdapterError).available).toEqual(available);
    await expect(createNodeContext({ backend: 'null', compute: true })).rejects.toThrow(NullBackendError);
    const nullCtx = await createNodeContext({ backend: 'null' }); // info may describe it
    nullCtx.destroy();
  });

  it('the CLI names the backends Dawn knows and the adapters there are, for info, demo and the style job', async () => {
    const [infoBackend, demoAdapter, jobBackend, jobAdapter, jobNull] = await Promise.all([
      run(['info', '--backend', 'bogus']),
      run(['demo', '--adapter', 'nosuchgpu']),
      run(['content.png', 'style.png', ...TINY, '--backend', 'bogus']),
      run(['content.png', 'style.png', ...TINY, '--adapter', 'nosuchgpu']),
      run(['content.png', 'style.png', ...TINY, '--backend', 'null']),
    ]);
    for (const r of [infoBackend, jobBackend]) {
      expectOneLine(
        r,
        /--backend bogus is not a backend Dawn knows: use one of .*vulkan.*; the adapters here are .*"Null backend" \(--backend null\)/,
      );
    }
    for (const r of [demoAdapter, jobAdapter])
      expectOneLine(r, /--adapter nosuchgpu is in no \w+ adapter's name; the adapters here are .*: give part of one of those names/);
    for (const r of [infoBackend, demoAdapter, jobBackend, jobAdapter]) expect(r.stderr).not.toMatch(/driver|npm run setup/);
    expectOneLine(jobNull, /--backend null computes nothing \(Dawn's null backend runs no shaders\): leave it out to use \w+/);
  });

  it('without any adapter the CLI explains how to install a driver', () => {
    const none = userMessage(new NoAdapterError("Dawn's default backend here (vulkan)"));
    expect(none).toMatch(
      /no WebGPU adapter found \(tried: Dawn's default backend here \(vulkan\)\)\. A Vulkan, Metal or D3D12 driver is needed\. Run `npm run setup`.*bookworm-backports/,
    );
    const elsewhere = userMessage(new NoAdapterError('backend opengl', undefined, [{ backend: 'vulkan', name: 'llvmpipe' }]));
    expect(elsewhere).toBe(
      'no WebGPU adapter found (tried: backend opengl); the adapters here are "llvmpipe" (--backend vulkan): use --backend vulkan',
    );
  });
});

describe('demo and info', () => {
  it("--size or --channels past the adapter's binding limit: the limit and the largest value that fits", async () => {
    const [size, channels] = await Promise.all([run(['demo', '--size', '100000']), run(['demo', '--channels', '100000'])]);
    const line = expectOneLine(
      size,
      /--size 100000 with --channels 64 is too large: .*maxStorageBufferBindingSize.*the largest --size that fits 64 channels is (\d+)/,
    );
    const limitMiB = Number(/binds at most ([\d.]+) MiB/.exec(line)![1]);
    expect(Number(/fits 64 channels is (\d+)/.exec(line)![1])).toBe(Math.floor(Math.sqrt((limitMiB * 2 ** 20) / 4 / 64)));
    expectOneLine(
      channels,
      /--channels 100000 is too many: the weights \[100000, 100000, 3, 3\] need .*maxStorageBufferBindingSize.*the most that fits at --size 128 is \d+/,
    );
  });

  it('demo --help and info --help print their help', async () => {
    const [demo, info] = await Promise.all([run(['demo', '--help']), run(['info', '--help'])]);
    expect([demo.code, info.code]).toEqual([0, 0]);
    expect(demo.stdout).toMatch(/^Usage: wgpu-style demo .*--size <px>.*--channels <n>/s);
    expect(info.stdout).toMatch(/^Usage: wgpu-style info .*--backend <name>.*--adapter <name>/s);
  });

  it('info prints nothing on stderr: not Dawn\'s "artificially reduced" limit warnings either', async () => {
    const info = await run(['info']);
    expect(info.code).toBe(0);
    expect(info.stderr).toBe('');
  });

  it('a damaged autotune.json is reported once, naming it, and rewritten as a good one', async () => {
    const cache = join(work, 'damaged-cache');
    mkdirSync(cache, { recursive: true });
    const file = join(cache, 'autotune.json');
    writeFileSync(file, '{"mesa|software|llvmpipe": {"conv3x3.v2|1x3x8x8>8": "co8');
    const first = await run(['info'], cache);
    expect(first.code).toBe(0);
    const lines = first.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({});
    const second = await run(['info'], cache);
    expect(second.stderr).toBe('');
  });
});
