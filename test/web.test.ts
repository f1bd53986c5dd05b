import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImage } from '../src/node/image-files.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { startWebServer } from '../src/node/web-server.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { picture } from './helpers/pictures.js';
import { REPO_ROOT } from './helpers/shared.js';

const CHROMIUM = '/usr/bin/chromium';
const work = mkdtempSync(join(tmpdir(), 'wgpu-style-web-'));
const ARTIFACTS = join(REPO_ROOT, 'test-results');

describe.runIf(existsSync(CHROMIUM) || (console.warn(`[skip] web page test: ${CHROMIUM} is absent (apt-get install chromium)`), false))(
  'the page in headless Chromium (WebGPU on SwiftShader)',
  () => {
    let server: Awaited<ReturnType<typeof startWebServer>>;
    let browser: Browser;

    beforeAll(async () => {
      const weightsDir = join(work, 'weights');
      await writeWeightsFile(join(weightsDir, 'synthetic.bin'), syntheticWeights(5));
      writeImage(join(work, 'content.png'), picture(40, 30, 'content'));
      writeImage(join(work, 'style.png'), picture(32, 32, 'style'));
      server = await startWebServer({ port: 0, weightsDir, outDir: join(work, 'site') });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--enable-unsafe-webgpu',
          '--enable-features=Vulkan',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      rmSync(work, { recursive: true, force: true });
    });

    it('runs a tiny style transfer: the canvas changes, the loss falls, the download is a PNG', async () => {
      const context = await browser.newContext({ acceptDownloads: true });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.waitForFunction(() => !/Looking for/.test(document.getElementById('adapter')!.textContent!));
      const adapter = await page.textContent('#adapter');
      expect(adapter, adapter!).toMatch(/^GPU: /);
      // A software adapter skips the autotuner's timing, which cost 150 s before a 32 px first step.
      if (/swiftshader/.test(adapter!)) expect(adapter).toMatch(/conv variants not timed/);

      await page.setInputFiles('#content-file', join(work, 'content.png'));
      await page.setInputFiles('#style-file', join(work, 'style.png'));
      await page.waitForFunction(() => (globalThis as any).wgpuStyle.content && (globalThis as any).wgpuStyle.style);
      await page.waitForFunction(() => document.querySelectorAll('#server-weights option').length > 1);
      await page.click('#load-server-weights');
      await page.waitForFunction(() => (globalThis as any).wgpuStyle.weights);
      for (const [id, value] of [
        ['size', '32'],
        ['scales', '1'],
        ['steps', '20'],
        ['lr', '0.2'],
      ])
        await page.fill(`#${id}`, value!);

      const blank = await page.evaluate(() => (document.getElementById('result') as HTMLCanvasElement).toDataURL());
      await page.click('#start');
      await page.waitForFunction(() => (globalThis as any).wgpuStyle.result || (globalThis as any).wgpuStyle.error, undefined, {
        timeout: 240_000,
      });
      const state = await page.evaluate(() => {
        const s = (globalThis as any).wgpuStyle;
        return {
          error: s.error,
          totals: s.history.map((h: { total: number }) => h.total),
          size: [s.result?.image.width, s.result?.image.height],
        };
      });
      expect(state.error).toBeNull();
      expect(state.size).toEqual([32, 24]);
      expect(state.totals).toHaveLength(20);
      // At this rate Adam's loss first rises, then falls below 0.8× the first by about step 18.
      expect(state.totals.at(-1)).toBeLessThan(0.8 * state.totals[0]);
      const painted = await page.evaluate(() => (document.getElementById('result') as HTMLCanvasElement).toDataURL());
      expect(painted).not.toBe(blank);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'web-page.png'), fullPage: true });
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const saved = join(work, 'download.png');
      await download.saveAs(saved);
      expect(readFileSync(saved).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(errors).toEqual([]);
      console.log(
        `web page: ${adapter}; loss ${state.totals.map((t: number) => t.toFixed(3)).join(' ')}; screenshot ${relative(REPO_ROOT, join(ARTIFACTS, 'web-page.png'))}`,
      );
      // The same page with L-BFGS: the form's optimizer field, its own default step length (1).
      await page.selectOption('#optimizer', 'lbfgs');
      await page.fill('#lr', '');
      await page.fill('#steps', '8');
      await page.fill('#tv-weight', '1'); // at 50 TV, not smooth, is nearly all of this tiny synthetic loss
      await page.click('#start');
      await page.waitForFunction(() => (globalThis as any).wgpuStyle.result || (globalThis as any).wgpuStyle.error, undefined, {
        timeout: 240_000,
      });
      const lbfgs = await page.evaluate(() => {
        const s = (globalThis as any).wgpuStyle;
        return { error: s.error, totals: s.history.map((h: { total: number }) => h.total) };
      });
      expect(lbfgs.error).toBeNull();
      expect(lbfgs.totals).toHaveLength(8);
      expect(lbfgs.totals.at(-1)).toBeLessThan(lbfgs.totals[0]);
      expect(errors).toEqual([]);
      console.log(`web page, L-BFGS: loss ${lbfgs.totals.map((t: number) => t.toFixed(3)).join(' ')}`);
      await context.close();
    }, 400_000); // SwiftShader: 3–9 s a step at 32×24 on two cores (AMD EPYC Zen 4), the conv variants untimed

    it('says clearly when the browser has no WebGPU', async () => {
      const page = await browser.newPage();
      await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
      await page.goto(server.url);
      await page.waitForFunction(() => !/Looking for/.test(document.getElementById('adapter')!.textContent!));
      expect(await page.textContent('#adapter')).toMatch(/This browser has no WebGPU/);
      expect(await page.getAttribute('#adapter', 'class')).toContain('error');
      await page.close();
    });
  },
);

describe('the browser core', () => {
  it('imports nothing Node-only: src/gpu, kernels, graph, vgg, optim, flow, style, plan, video, util and the weights format', () => {
    const core = ['gpu', 'kernels', 'graph', 'vgg', 'optim', 'flow', 'style', 'plan', 'video', 'util', 'web']
      .map((d) => join(REPO_ROOT, 'src', d))
      .filter((d) => existsSync(d));
    const files = core
      .flatMap((dir) => readdirSync(dir, { recursive: true }).map((f) => join(dir, String(f))))
      .filter((f) => f.endsWith('.ts'));
    files.push(join(REPO_ROOT, 'src', 'io', 'weights', 'format.ts'), join(REPO_ROOT, 'src', 'io', 'weights', 'synthetic.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)) {
        const relativeImport = spec!.startsWith('.');
        const inCore = relativeImport && !/\/(node|cli|io\/image)\b/.test(join(file, '..', spec!).replace(REPO_ROOT, ''));
        if (!(relativeImport ? inCore : spec === 'virtual:shaders')) offenders.push(`${relative(REPO_ROOT, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
