// No silent minutes (issue 28 item 3): a run tells each phase as it starts and progresses (tuning N of
// M shapes, the targets, each scale's steps), the CLI prints them (a line per phase, --json a line
// per event), and the autotuner skips what it may (a choice reused across heights, pruned families).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { prunableFamilies, variantFamily } from '../src/kernels/autotune-rules.js';
import { autotuneConv, convTuningKey, convVariantsFor, tuningFor } from '../src/kernels/index.js';
import { phasePrinter } from '../src/cli/progress.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { writeImage } from '../src/node/image-files.js';
import { planJob } from '../src/plan/plan-job.js';
import { runStyleJob } from '../src/style/job.js';
import type { StylePhase } from '../src/style/job-types.js';
import { convShapesForStep } from '../src/vgg/index.js';
import { cli } from './helpers/cli.js';
import { useGpu } from './helpers/gpu.js';
import { picture } from './helpers/pictures.js';
import { texture } from './helpers/video-clip.js';
import { StoppedBeforeStartError } from '../src/util/errors.js';

const gpu = useGpu();
type Shape = [number, number, number, number];

/** The distinct tuning keys of a step at height×width up to module `depth`. */
const keysOf = (height: number, width: number, depth: number) =>
  new Set(convShapesForStep(height, width, depth).map((s) => convTuningKey(s.shape, s.cout)));

describe('the phases of a style job', () => {
  it('arrive in order, with the tuning counted shape by shape, then the targets, then the steps, for each scale', async () => {
    const ctx = gpu();
    const tuning = tuningFor(ctx);
    tuning.store = null;
    tuning.clear();
    const settings = { contentLayers: [7], styleLayers: [0, 5], size: 16, scales: 2, steps: 2, autotune: true };
    const plan = planJob(settings, 16, 12, 1);
    const phases: StylePhase[] = [];
    await runStyleJob(ctx, syntheticWeights(2, 7), texture(16, 12), [texture(16, 16, 5, 3)], plan, { onPhase: (p) => phases.push(p) });
    const expected: string[] = [];
    for (const [s, scale] of plan.scales.entries()) {
      const total = keysOf(scale.height, scale.width, 7).size;
      for (let done = 0; done <= total; done++) expected.push(`${s + 1} tuning ${done}/${total}`);
      expected.push(`${s + 1} targets 0/1`, `${s + 1} targets 1/1`, `${s + 1} steps 0/${scale.steps}`);
    }
    expect(phases.map((p) => `${p.scale} ${p.phase} ${p.done}/${p.total}`)).toEqual(expected);
    expect(phases.every((p) => p.scales === 2)).toBe(true);
    const seconds = phases.map((p) => p.seconds);
    expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
  });
});

describe('the autotuner skips what it may', () => {
  it('prunes families that lost on comparable shapes, reuses a choice across heights, and tells each shape done', async () => {
    const ctx = gpu();
    const tuning = tuningFor(ctx);
    tuning.store = null;
    tuning.clear();
    const variants = convVariantsFor(ctx);
    const winner = variants[0]!.name; // the default's family: never pruned
    // Eight comparable shapes tuned on this adapter, all won by the default's family.
    for (let i = 1; i <= 8; i++) tuning.set(convTuningKey([1, 8, 16, 16 + i], 8), winner);
    // Timed on their first 32 rows (the fewest): the taller conv's timing would be the same.
    const tall: Shape = [1, 8, 40, 16];
    const taller: Shape = [1, 8, 48, 16];
    const told: Array<[number, number, string]> = [];
    const results = await autotuneConv(
      ctx,
      [
        { shape: tall, cout: 8 },
        { shape: taller, cout: 8 },
      ],
      { proxyBytes: 1, onShape: (done, total, key) => told.push([done, total, key]) },
    );
    expect(told).toEqual([
      [1, 2, convTuningKey(tall, 8)],
      [2, 2, convTuningKey(taller, 8)],
    ]);
    // (The transposed GEMMs' families are never pruned, and over 40 tiles of F(4×4) not timed.)
    const others = prunableFamilies(variants).filter((f) => f !== variantFamily(winner));
    expect(results[0]!.pruned?.sort()).toEqual(others.sort());
    expect(Object.keys(results[0]!.ms).every((name) => variantFamily(name) === variantFamily(winner))).toBe(true);
    expect(results[1]).toEqual({ key: convTuningKey(taller, 8), chosen: results[0]!.chosen, ms: {}, reusedFrom: convTuningKey(tall, 8) });
    expect(tuning.get(convTuningKey(taller, 8))).toBe(results[0]!.chosen);
  });
});

describe('the phase printer', () => {
  const sink = (isTTY: boolean) => {
    const written: string[] = [];
    return { stream: { isTTY, write: (t: string) => written.push(t) } as unknown as NodeJS.WriteStream, written };
  };
  const tuning = (done: number): StylePhase => ({ phase: 'tuning', scale: 1, scales: 1, done, total: 200, detail: '8×8', seconds: 0 });

  it("writes a phase's start and end, not its hundreds of updates within a second (a file or pipe)", () => {
    const { stream, written } = sink(false);
    const print = phasePrinter(false, stream);
    for (let done = 0; done <= 200; done++) print(tuning(done));
    print({ phase: 'steps', scale: 1, scales: 1, done: 0, total: 5, detail: '8×8', seconds: 0 });
    expect(written.join('')).toBe(
      'scale 1/1: tuning 0/200 shapes (the conv variants for 8×8 on this adapter, once)\n' +
        'scale 1/1: tuning 200/200 shapes (the conv variants for 8×8 on this adapter, once)\n' +
        'scale 1/1: steps at 8×8 (5)\n',
    );
  });

  it("redraws a phase's line in place on a terminal, and ends it before the next", () => {
    const { stream, written } = sink(true);
    const print = phasePrinter(false, stream);
    print(tuning(0));
    print(tuning(200));
    print({ phase: 'targets', scale: 1, scales: 1, done: 0, total: 1, seconds: 0 });
    print({ phase: 'loading', scale: 0, scales: 1, detail: 'the weights', seconds: 0 });
    expect(written.map((w) => w.replace(/ shapes.*?\x1b/, '\x1b'))).toEqual([
      '\rscale 1/1: tuning 0/200\x1b[K',
      '\rscale 1/1: tuning 200/200\x1b[K\n',
      '\rscale 1/1: style and content targets\x1b[K',
      '\nloading the weights\x1b[K\n',
    ]);
  });
});

describe('the CLI shows the phases', () => {
  const work = mkdtempSync(join(tmpdir(), 'wgpu-style-phases-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  // Each run with an empty tuning cache of its own: it tunes.
  const run = (args: string[], cache: string) =>
    cli(['content.png', 'style.png', '--weights', 'syn.bin', '--size', '32', '--scales', '1', '--steps', '2', ...args], {
      cwd: work,
      env: { WGPU_STYLE_CACHE: join(work, cache) },
    });
  beforeAll(async () => {
    await writeWeightsFile(join(work, 'syn.bin'), syntheticWeights(5, 7));
    writeImage(join(work, 'content.png'), picture(32, 24, 'content'));
    writeImage(join(work, 'style.png'), picture(24, 24, 'style'));
  });

  it('prints a line per phase, the tuning as N/M shapes, not one per update (stderr not a terminal)', async () => {
    const started = Date.now();
    const r = await run(['--content-layers', 'conv2_2', '--style-layers', 'conv1_1,conv2_1', '-o', 'a.png'], 'cache-a');
    const seconds = (Date.now() - started) / 1000;
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n');
    const total = keysOf(24, 32, 7).size;
    expect(lines).toContain('loading the GPU device');
    expect(lines).toContain('loading the weights');
    expect(lines).toContain(`scale 1/1: tuning 0/${total} shapes (the conv variants for 32×24 on this adapter, once)`);
    expect(lines).toContain(`scale 1/1: tuning ${total}/${total} shapes (the conv variants for 32×24 on this adapter, once)`);
    // A line when the phase starts, then at most one a second, and its last.
    const tuningLines = lines.filter((l) => l.startsWith('scale 1/1: tuning'));
    expect(tuningLines.length).toBeLessThanOrEqual(2 + Math.ceil(seconds));
    const order = [
      'loading the GPU device',
      'scale 1/1: tuning 0/',
      'scale 1/1: style and content targets done',
      'scale 1/1: steps at 32×24 (2)',
    ];
    const at = order.map((o) => lines.findIndex((l) => l.startsWith(o)));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(lines.findIndex((l) => l.startsWith('scale 1/1 32×24 step 1/2'))).toBeGreaterThan(at[3]!);
  });

  it('--json gives a {"type":"phase"} line per event, before the progress lines', async () => {
    const r = await run(['--content-layers', 'conv2_2', '--style-layers', 'conv1_1,conv2_1', '--json', '-o', 'b.png'], 'cache-b');
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const phases = lines.filter((l) => l.type === 'phase');
    const total = keysOf(24, 32, 7).size;
    expect(phases.map((p) => [p.phase, p.detail ?? null, p.done ?? null])).toEqual([
      ['loading', 'the GPU device', null],
      ['loading', 'the weights', null],
      ...Array.from({ length: total + 1 }, (_, done) => ['tuning', '32×24', done]),
      ['targets', null, 0],
      ['targets', null, 1],
      ['steps', '32×24', 0],
    ]);
    expect(phases.every((p) => typeof p.seconds === 'number' && p.scales === 1)).toBe(true);
    expect(lines.findIndex((l) => l.type === 'progress')).toBeGreaterThan(lines.indexOf(phases.at(-1)!));
  });
});

describe('Ctrl-C while tuning', () => {
  it('stops before the targets when no step was made (nothing to keep)', async () => {
    const ctx = gpu();
    const tuning = tuningFor(ctx);
    tuning.store = null;
    tuning.clear();
    const plan = planJob({ contentLayers: [7], styleLayers: [0, 5], size: 16, scales: 1, steps: 2, autotune: true }, 16, 12, 1);
    const stop = new AbortController();
    const phases: StylePhase[] = [];
    const onPhase = (p: StylePhase) => {
      phases.push(p);
      if (p.phase === 'tuning' && p.done === 1) stop.abort();
    };
    const run = runStyleJob(ctx, syntheticWeights(2, 7), texture(16, 12), [texture(16, 16, 5, 3)], plan, { onPhase, signal: stop.signal });
    await expect(run).rejects.toThrow(StoppedBeforeStartError);
    expect(phases.map((p) => p.phase)).toEqual(['tuning', 'tuning']);
  });
});
