// The page's step in headless Chromium (WebGPU on SwiftShader unless the machine has a GPU):
// seconds to the first step (setup: pipelines, autotune, targets) and steady seconds per step at
// each size, with what the page asked of WebGPU on the way (pipelines made and the JS time they
// took, shader modules, submits, readbacks and the time spent waiting on them).
//
//   npx tsx bench/web-step.ts [--size 32 --size 128] [--steps 10] [--optimizer adam|lbfgs]
//     [--autotune auto|on|off] [--profile] [--verbose] [--chromium /usr/bin/chromium] [--json out.json]
//     [--path lavapipe|swiftshader]
//
// --path lavapipe (the default) launches Chromium with CHROMIUM_SOFTWARE_VULKAN_FLAGS, so that the
// page's compatibility-mode adapter runs on ANGLE on the machine's Vulkan driver; swiftshader
// launches it plainly, and the page runs on SwiftShader (docs/browser.md).
//
// It serves the page as `npm run web` does, with synthetic weights and synthetic pictures, and
// drives it as test/web.test.ts does (Playwright over the DevTools protocol).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { writeImage } from '../src/node/image-files.js';
import { CHROMIUM_SOFTWARE_VULKAN_FLAGS, startWebServer } from '../src/node/web-server.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import type { RgbaImage } from '../src/style/image-tensor.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', multiple: true, default: ['32', '128'] },
    steps: { type: 'string', default: '10' },
    optimizer: { type: 'string', default: 'adam' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    json: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    /** on/off: the page's ?autotune=1/0; auto: the page decides (not on a software adapter). */
    autotune: { type: 'string', default: 'auto' },
    path: { type: 'string', default: 'lavapipe' },
  },
});

/** Counts and times what the page asks of WebGPU; installed before the page's own script runs. */
function instrumentWebGpu(): void {
  const w = globalThis as unknown as Record<string, unknown>;
  const stats = {
    t0: performance.now(),
    pipelines: 0,
    pipelinesAsync: 0,
    pipelineMs: 0,
    pipelineLabels: [] as Array<[number, string]>,
    modules: 0,
    moduleMs: 0,
    submits: 0,
    maps: 0,
    mapWaitMs: 0,
    workDone: 0,
    workDoneWaitMs: 0,
    errorScopes: 0,
  };
  w.webStepStats = stats;
  const wrap = <T extends object>(
    proto: T,
    name: string,
    around: (f: (...a: unknown[]) => unknown, self: unknown, a: unknown[]) => unknown,
  ) => {
    const original = (proto as Record<string, unknown>)[name] as ((...a: unknown[]) => unknown) | undefined;
    if (!original) return;
    (proto as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
      return around(original, this, a);
    };
  };
  const D = (w.GPUDevice as { prototype: object } | undefined)?.prototype;
  if (!D) return;
  wrap(D, 'createComputePipeline', (f, self, a) => {
    const t = performance.now();
    const r = f.apply(self, a);
    stats.pipelines++;
    stats.pipelineMs += performance.now() - t;
    stats.pipelineLabels.push([Math.round(t - stats.t0), String((a[0] as { label?: string }).label)]);
    return r;
  });
  wrap(D, 'createComputePipelineAsync', (f, self, a) => {
    const t = performance.now();
    stats.pipelinesAsync++;
    stats.pipelineLabels.push([Math.round(t - stats.t0), `async ${String((a[0] as { label?: string }).label)}`]);
    return (f.apply(self, a) as Promise<unknown>).finally(() => (stats.pipelineMs += performance.now() - t));
  });
  wrap(D, 'createShaderModule', (f, self, a) => {
    const t = performance.now();
    const r = f.apply(self, a);
    stats.modules++;
    stats.moduleMs += performance.now() - t;
    return r;
  });
  wrap(D, 'pushErrorScope', (f, self, a) => (stats.errorScopes++, f.apply(self, a)));
  const Q = (w.GPUQueue as { prototype: object }).prototype;
  wrap(Q, 'submit', (f, self, a) => (stats.submits++, f.apply(self, a)));
  wrap(Q, 'onSubmittedWorkDone', (f, self, a) => {
    const t = performance.now();
    stats.workDone++;
    return (f.apply(self, a) as Promise<unknown>).finally(() => (stats.workDoneWaitMs += performance.now() - t));
  });
  const B = (w.GPUBuffer as { prototype: object }).prototype;
  wrap(B, 'mapAsync', (f, self, a) => {
    const t = performance.now();
    stats.maps++;
    return (f.apply(self, a) as Promise<unknown>).finally(() => (stats.mapWaitMs += performance.now() - t));
  });
}

interface RunFigures {
  size: number;
  width: number;
  height: number;
  steps: number;
  /** Click on Start to the first step's report. */
  firstStepSeconds: number;
  /** Median of the per-step seconds after the first two steps. */
  steadyStepSeconds: number;
  totalSeconds: number;
  webgpu: Record<string, number>;
  /** Pipelines made before the first step's report. */
  pipelinesBeforeFirstStep: number;
  labels?: Array<[number, string]>;
  profile?: StepProfile;
}

/** GPU time per kernel over the page's third step (timestamp queries), beside its wall time. */
interface StepProfile {
  wallMs: number;
  gpuMs: number;
  dispatches: number;
  kernels: Array<{ kernel: string; ms: number; count: number }>;
  /** The costliest dispatches, by label (kernel and shapes). */
  slowest: Array<{ label: string; ms: number }>;
}

async function profileOneStep(page: Page): Promise<StepProfile> {
  await page.waitForFunction(() => (globalThis as any).wgpuStyle.history.length >= 2, undefined, { timeout: 600_000, polling: 20 });
  const started = await page.evaluate(() => {
    (globalThis as any).wgpuStyle.ctx.startProfiling();
    return performance.now();
  });
  await page.waitForFunction(() => (globalThis as any).wgpuStyle.history.length >= 3, undefined, { timeout: 600_000, polling: 20 });
  return page.evaluate(async (started) => {
    const wallMs = performance.now() - started;
    const timings: Array<{ kernel: string; label: string; ms: number }> = await (globalThis as any).wgpuStyle.ctx.stopProfiling();
    const byKernel = new Map<string, { kernel: string; ms: number; count: number }>();
    for (const t of timings) {
      const k = byKernel.get(t.kernel) ?? { kernel: t.kernel, ms: 0, count: 0 };
      k.ms += t.ms;
      k.count++;
      byKernel.set(t.kernel, k);
    }
    const kernels = [...byKernel.values()].sort((a, b) => b.ms - a.ms);
    const slowest = [...timings]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 12)
      .map((t) => ({ label: t.label, ms: t.ms }));
    return { wallMs, gpuMs: kernels.reduce((a, k) => a + k.ms, 0), dispatches: timings.length, kernels, slowest };
  }, started);
}

function picture(width: number, height: number, kind: 'content' | 'style'): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (kind === 'content') data.set([(x * 255) / width, (y * 255) / height, 128 + 100 * Math.sin(x / 3), 255], i);
      else data.set([190 + 60 * Math.sin((x + 2 * y) / 4), 110 + 90 * Math.cos(y / 5), 70 + 50 * Math.sin(x / 7), 255], i);
    }
  return { width, height, data };
}

async function runOnce(page: Page, size: number, steps: number, optimizer: string): Promise<RunFigures> {
  await page.fill('#size', String(size));
  await page.fill('#scales', '1');
  await page.fill('#steps', String(steps));
  await page.selectOption('#optimizer', optimizer);
  await page.fill('#lr', optimizer === 'adam' ? '0.2' : '');
  const before = await page.evaluate(() => {
    const s = (globalThis as any).webStepStats;
    return { ...s, pipelineLabels: s.pipelineLabels.length };
  });
  const clicked = await page.evaluate(() => {
    (document.getElementById('start') as HTMLButtonElement).click();
    return performance.now();
  });
  await page.waitForFunction(() => (globalThis as any).wgpuStyle.history.length > 0 || (globalThis as any).wgpuStyle.error, undefined, {
    timeout: 1_800_000,
    polling: 50,
  });
  const first = await page.evaluate(() => ({ now: performance.now(), pipelines: (globalThis as any).webStepStats.pipelines }));
  const profile = values.profile && steps >= 4 ? await profileOneStep(page) : undefined;
  await page.waitForFunction(() => (globalThis as any).wgpuStyle.result || (globalThis as any).wgpuStyle.error, undefined, {
    timeout: 1_800_000,
    polling: 100,
  });
  const after = await page.evaluate(() => {
    const s = (globalThis as any).wgpuStyle;
    return {
      now: performance.now(),
      error: s.error as string | null,
      history: s.history.map((h: { stepSeconds: number; seconds: number; width: number; height: number; total: number }) => ({
        stepSeconds: h.stepSeconds,
        seconds: h.seconds,
        width: h.width,
        height: h.height,
        total: h.total,
      })),
      stats: (globalThis as any).webStepStats,
    };
  });
  if (after.error) throw new Error(`the page failed at ${size} px: ${after.error}`);
  const perStep = after.history.slice(2).map((h: { stepSeconds: number }) => h.stepSeconds);
  perStep.sort((a: number, b: number) => a - b);
  const webgpu: Record<string, number> = {};
  for (const k of [
    'pipelines',
    'pipelinesAsync',
    'pipelineMs',
    'modules',
    'moduleMs',
    'submits',
    'maps',
    'mapWaitMs',
    'workDone',
    'workDoneWaitMs',
    'errorScopes',
  ])
    webgpu[k] = Math.round((after.stats[k] - before[k]) * 10) / 10;
  const last = after.history.at(-1)!;
  return {
    size,
    width: last.width,
    height: last.height,
    steps: after.history.length,
    firstStepSeconds: (first.now - clicked) / 1000,
    steadyStepSeconds: perStep.length ? perStep[Math.floor(perStep.length / 2)]! : NaN,
    totalSeconds: (after.now - clicked) / 1000,
    webgpu,
    pipelinesBeforeFirstStep: first.pipelines - before.pipelines,
    labels: values.verbose ? after.stats.pipelineLabels.slice(before.pipelineLabels) : undefined,
    profile,
  };
}

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-web-step-'));
const weightsDir = join(work, 'weights');
await writeWeightsFile(join(weightsDir, 'synthetic.bin'), syntheticWeights(5));
writeImage(join(work, 'content.png'), picture(160, 120, 'content'));
writeImage(join(work, 'style.png'), picture(128, 128, 'style'));
const server = await startWebServer({ port: 0, weightsDir, outDir: join(work, 'site') });
const browser = await chromium.launch({
  executablePath: values.chromium,
  headless: true,
  args: [
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    ...(values.path === 'swiftshader' ? ['--enable-features=Vulkan'] : CHROMIUM_SOFTWARE_VULKAN_FLAGS),
    '--disable-background-networking',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  // tsx names functions through a __name helper the page lacks.
  await page.addInitScript({ content: `var __name = (f) => f; (${instrumentWebGpu.toString()})();` });
  await page.goto(values.autotune === 'auto' ? server.url : `${server.url}?autotune=${values.autotune === 'on' ? 1 : 0}`);
  await page.waitForFunction(() => !/Looking for/.test(document.getElementById('adapter')!.textContent!));
  const adapter = await page.textContent('#adapter');
  // The adapter the page chose (src/web/gpu-init.ts), as the page summarised it.
  const features = await page.evaluate(() => (globalThis as any).wgpuStyle.ctx.adapter as { features: string[]; subgroupMinSize: number });
  console.log(`${browser.version()}; ${adapter}`);
  console.log(`features: ${features.features.join(' ')}; subgroups from ${features.subgroupMinSize}`);
  await page.setInputFiles('#content-file', join(work, 'content.png'));
  await page.setInputFiles('#style-file', join(work, 'style.png'));
  await page.waitForFunction(() => (globalThis as any).wgpuStyle.content && (globalThis as any).wgpuStyle.style);
  await page.waitForFunction(() => document.querySelectorAll('#server-weights option').length > 0);
  await page.click('#weights-more summary');
  await page.click('#load-server-weights');
  await page.click('#advanced summary'); // --scales and --lr are under Advanced
  await page.waitForFunction(() => (globalThis as any).wgpuStyle.weights);
  const results: RunFigures[] = [];
  for (const size of values.size!.map(Number)) {
    const r = await runOnce(page, size, Number(values.steps), values.optimizer!);
    results.push(r);
    console.log(
      `${r.width}×${r.height}: first step ${r.firstStepSeconds.toFixed(2)} s (${r.pipelinesBeforeFirstStep} pipelines), ` +
        `steady ${r.steadyStepSeconds.toFixed(3)} s/step, ${r.steps} steps in ${r.totalSeconds.toFixed(1)} s`,
    );
    console.log(`  webgpu: ${JSON.stringify(r.webgpu)}`);
    if (r.profile) {
      const p = r.profile;
      console.log(`  one step: ${p.wallMs.toFixed(0)} ms wall, ${p.gpuMs.toFixed(0)} ms in ${p.dispatches} dispatches (GPU timestamps)`);
      for (const k of p.kernels)
        console.log(`    ${k.kernel.padEnd(28)} ${k.ms.toFixed(1).padStart(9)} ms ${String(k.count).padStart(5)}×`);
      if (values.verbose) for (const d of p.slowest) console.log(`      ${d.ms.toFixed(1).padStart(8)} ms ${d.label}`);
    }
    if (r.labels) for (const [t, l] of r.labels) console.log(`    ${t} ms ${l}`);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ browser: browser.version(), adapter, features, results }, null, 2));
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
