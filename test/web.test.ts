// The page as a visitor uses it, in headless Chromium through Playwright (WebGPU on lavapipe
// where the machine has it: test/helpers/web-page.ts): the bundled examples, the weights
// downloaded from a stand-in for the public URL, checked, converted in a worker and kept by the
// browser (Keras's .h5 included); a run to a PNG with the compare view; a damaged download and a
// wrong file refused; the quality presets.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights } from '../src/io/weights/format.js';
import { HDF5_CALL_LIMIT_MS } from '../src/io/weights/hdf5-calls.js';
import { DEFAULT_SOURCE, FETCH_SOURCES } from '../src/io/weights/sources.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { startWebServer } from '../src/node/web-server.js';
import { REPO_ROOT } from './helpers/shared.js';
import { VGG19_CONVS } from '../src/vgg/index.js';
import { writeKerasH5 } from './helpers/keras-h5.js';
import { fixture, FIXTURES } from './helpers/weights-fixtures.js';
import { zipFile } from './helpers/zip-writer.js';
import { writePng } from './helpers/png-writer.js';
import { CHROMIUM, launchChromium, startStandIn, type StandIn } from './helpers/web-page.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-web-'));
/** WGPU_STYLE_SCREENSHOTS=1 writes the screenshots into docs/screenshots (checked in); else test-results/. */
const SHOTS = process.env.WGPU_STYLE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : join(REPO_ROOT, 'test-results');
/**
 * A whole VGG-19 as torch.save wrote it, standing in for torchvision's 548 MB file: 70 KB of
 * expanded (constant) tensors, which convert but overflow float32 in a run; the run itself
 * downloads synthetic weights in our .bin format.
 */
const PTH = readFileSync(join(FIXTURES, 'vgg19-expanded.pth'));
const DAMAGED = Uint8Array.from(PTH, (b, i) => (i === 40_000 ? b ^ 0x10 : b));
const PUBLIC_NAME = `/${FETCH_SOURCES.torchvision.download}`;
const BIN_NAME = '/models/vgg19-synthetic.bin';
let BIN: Uint8Array;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** Keras's VGG-19 as keras.Model.save_weights wrote it (the CLI's default download), each tensor constant and gzipped: 80 MB of weights in a small file. */
const H5_NAME = `/${FETCH_SOURCES.keras.download}`;
let H5: Uint8Array;
/** A grey style mask (--style-mask) as a PNG file for the page's picker: `shade(x, y)` 0..255. */
const maskPng = (name: string, width: number, height: number, shade: (x: number, y: number) => number) => ({
  name,
  mimeType: 'image/png',
  buffer: writePng({
    width,
    height,
    colorType: 0,
    depth: 8,
    samples: Array.from({ length: width * height }, (_, p) => shade(p % width, Math.floor(p / width))),
  }),
});

type Wgpu = {
  content: unknown;
  style: unknown;
  weights: unknown;
  weightsFrom: string | null;
  cacheHits: number;
  history: Array<{ total: number }>;
  result: { image: { width: number; height: number } } | null;
  error: string | null;
};
/** The page's state; in page functions `s()` is the page's own (installed by newContext). */
const s = () => (globalThis as unknown as { wgpuStyle: Wgpu }).wgpuStyle;

describe.runIf(existsSync(CHROMIUM) || (console.warn(`[skip] web page test: ${CHROMIUM} is absent (apt-get install chromium)`), false))(
  'the page in headless Chromium',
  () => {
    let server: Awaited<ReturnType<typeof startWebServer>>;
    let standIn: StandIn;
    let browser: Browser;
    let context: BrowserContext;
    const errors: string[] = [];

    const newContext = async (options: Parameters<Browser['newContext']>[0] = {}) => {
      const c = await browser.newContext(options);
      await c.addInitScript({ content: 'globalThis.s = () => globalThis.wgpuStyle;' });
      return c;
    };
    const open = async (query = ''): Promise<Page> => {
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}${query}`);
      await page.waitForFunction(() => !/Looking for/.test(document.getElementById('adapter')!.textContent!));
      return page;
    };
    const downloadQuery = (path: string, sum: string) => `?weights-url=${encodeURIComponent(standIn.url(path))}&weights-checksum=${sum}`;

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      BIN = await encodeWeights(syntheticWeights(5));
      const h5 = join(work, 'keras.h5');
      await writeKerasH5(h5, VGG19_CONVS.at(-1)!.index, 'old', (n, seed) => new Float32Array(n).fill(seed / 1000), true);
      H5 = new Uint8Array(readFileSync(h5));
      standIn = await startStandIn(
        new Map([
          [PUBLIC_NAME, PTH],
          ['/damaged.pth', DAMAGED],
          [BIN_NAME, BIN],
          [H5_NAME, H5],
        ]),
      );
      server = await startWebServer({ port: 0, weightsDir: join(work, 'no-weights'), outDir: join(work, 'site') });
      browser = await launchChromium();
      context = await newContext({ acceptDownloads: true, viewport: { width: 1000, height: 900 } });
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await standIn?.close();
      rmSync(work, { recursive: true, force: true });
    });

    it('runs from the bundled examples with downloaded weights to a PNG, with the compare view', async () => {
      const page = await open(downloadQuery(BIN_NAME, sha256(BIN)));
      const adapter = (await page.textContent('#adapter'))!;
      expect(adapter, adapter).toMatch(/^GPU: /);
      await page.click('#example-tubingen');
      await page.click('#example-starry_night');
      await page.waitForFunction(() => s().content && s().style);
      await page.click('#download-weights');
      await page.waitForFunction(() => s().weights || s().error);
      expect(await page.evaluate(() => [s().weightsFrom, s().error])).toEqual(['download', null]);
      expect(await page.textContent('#weights-status')).toMatch(/Weights ready: vgg19-synthetic\.bin, kept in this browser.*13 convs/);
      expect(standIn.requests).toEqual([BIN_NAME]);

      await page.click('#advanced summary');
      for (const [id, value] of [
        ['size', '32'],
        ['scales', '1'],
        ['steps', '20'],
        ['lr', '0.2'],
      ])
        await page.fill(`#${id}`, value!);
      await page.click('#advanced summary'); // closed again: the screenshots show the essentials
      // A style mask of the photo's shape (4:3): the style on the left half, a quarter of it on the right.
      await page.setInputFiles(
        '#mask-file',
        maskPng('left.png', 8, 6, (x) => (x < 4 ? 255 : 64)),
      );
      await page.waitForFunction(() => /^Style mask: left\.png, 8×6/.test(document.getElementById('status')!.textContent!));
      expect(await page.isVisible('#mask-preview')).toBe(true);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS, 'page-before.png') });
      await page.click('#start');
      await page.waitForFunction(() => s().history.length >= 6 || s().error, undefined, { timeout: 120_000 }); // a snapshot every 5 steps
      const toSettings = () => document.getElementById('h-settings')!.scrollIntoView();
      await page.evaluate(toSettings);
      await page.screenshot({ path: join(SHOTS, 'page-during.png') });
      await page.waitForFunction(() => s().result || s().error, undefined, { timeout: 120_000 });
      const run = await page.evaluate(() => ({ error: s().error, totals: s().history.map((h) => h.total), size: s().result!.image }));
      expect(run.error).toBeNull();
      expect([run.size.width, run.size.height]).toEqual([32, 24]);
      expect(run.totals).toHaveLength(20);
      // At this rate Adam's loss first rises, then falls below 0.8× the first by about step 18.
      expect(run.totals.at(-1)).toBeLessThan(0.8 * run.totals[0]!);
      expect(await page.evaluate(() => (document.getElementById('progress') as HTMLProgressElement).value)).toBe(20);

      // The compare slider: Home shows the content only, End the result only.
      await page.focus('#compare');
      await page.keyboard.press('Home');
      expect(await page.evaluate(() => document.getElementById('result')!.style.clipPath)).toBe('inset(0px 100% 0px 0px)');
      await page.keyboard.press('End');
      expect(await page.evaluate(() => document.getElementById('result')!.style.clipPath)).toBe('inset(0px 0% 0px 0px)');
      await page.fill('#compare', '50');
      await page.evaluate(toSettings);
      await page.screenshot({ path: join(SHOTS, 'page-after.png') });

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const saved = join(work, 'download.png');
      await download.saveAs(saved);
      const png = readFileSync(saved);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([32, 24]);
      expect(errors).toEqual([]);
      console.log(
        `web page: ${adapter}; loss ${run.totals.map((t) => t.toPrecision(3)).join(' ')}; screenshots in ${relative(REPO_ROOT, SHOTS)}`,
      );
      await page.close();
    }, 240_000);

    it('a second visit starts from the weights this browser kept, without downloading', async () => {
      const opened = Date.now();
      const page = await open();
      await page.waitForFunction(() => s().weights || s().error);
      expect(await page.evaluate(() => [s().weightsFrom, s().cacheHits, s().error])).toEqual(['cache', 1, null]);
      expect(standIn.requests).toEqual([BIN_NAME]); // still the first visit's one request
      await page.click('#example-tubingen');
      await page.click('#example-starry_night');
      // The quality menu: the fields start at the CLI's defaults ("Best"); a preset fills them; editing one makes it "Custom".
      expect(await page.inputValue('#quality')).toBe('Best');
      await page.selectOption('#quality', 'Quick');
      expect(await Promise.all(['#size', '#scales', '#steps'].map((id) => page.inputValue(id)))).toEqual(['256', '1', '100']);
      await page.click('#advanced summary');
      for (const [id, value] of [
        ['size', '32'],
        ['scales', '1'],
        ['steps', '2'],
      ])
        await page.fill(`#${id}`, value!);
      expect(await page.inputValue('#quality')).toBe('Custom');
      // A mask the job cannot take is refused in one sentence, before any work; "No mask" runs without one.
      for (const [mask, message] of [
        [
          maskPng('black.png', 8, 6, () => 0),
          'style mask 1 is black (or transparent) everywhere, so its style would go nowhere; paint white where that style goes',
        ],
        [
          maskPng('square.png', 8, 8, () => 255),
          /^style mask 1 is 8×8, the content .*their aspect ratios differ by 25\.0 % \(at most 1 %\); give a mask of the content's shape$/,
        ],
      ] as const) {
        await page.setInputFiles('#mask-file', mask);
        await page.waitForFunction((name) => document.getElementById('status')!.textContent!.includes(name), mask.name);
        await page.click('#start');
        await page.waitForFunction(() => s().error);
        const text = (await page.textContent('#status'))!;
        expect(text).toMatch(message);
        expect(text.split(/[.!?] /)).toHaveLength(1);
        expect(await page.evaluate(() => s().history.length)).toBe(0);
      }
      await page.click('#mask-clear');
      expect(await page.isVisible('#mask-preview')).toBe(false);
      await page.click('#start');
      await page.waitForFunction(() => s().history.length > 0 || s().error, undefined, { timeout: 120_000 });
      console.log(`web page: opening with cached weights to the first step: ${((Date.now() - opened) / 1000).toFixed(1)} s`);
      await page.waitForFunction(() => s().result || s().error, undefined, { timeout: 120_000 });
      await page.close();
    }, 180_000);

    it('refuses a damaged download in one sentence and keeps nothing; the good .pth converts in the worker', async () => {
      const fresh = await newContext();
      const page = await fresh.newPage();
      await page.goto(`${server.url}${downloadQuery('/damaged.pth', sha256(PTH))}`);
      await page.click('#download-weights');
      await page.waitForFunction(() => s().error);
      const text = (await page.textContent('#weights-status'))!;
      expect(text).toMatch(
        /^damaged\.pth from http:\/\/127\.0\.0\.1:\d+\/damaged\.pth is damaged or not the expected file \(its sha256 is [0-9a-f]{16}…, expected [0-9a-f]{16}…\); nothing was kept: try the download again\.$/,
      );
      expect(text.split(/[.!?] /)).toHaveLength(1);
      expect(await page.evaluate(() => [s().weights, s().weightsFrom])).toEqual([null, null]);
      expect(await page.evaluate(async () => (await (await caches.open('wgpu-style-weights')).keys()).length)).toBe(0);
      // The same page with the file it should have had: downloaded, checked, converted in the worker.
      await page.click('#weights-more summary');
      await page.fill('#weights-url', standIn.url(PUBLIC_NAME));
      await page.click('#download-weights');
      await page.waitForFunction(() => s().weights);
      expect(await page.evaluate(() => s().weightsFrom)).toBe('download');
      expect(await page.textContent('#weights-status')).toMatch(
        /^Weights ready: vgg19-dcbb9e9d\.bin, kept in this browser for next time \(16 convs, input RGB\)\.$/,
      );
      await fresh.close();
    }, 60_000);

    it("the button's default is the CLI's default, Keras's .h5, checked by its md5: a wrong file is refused in one sentence", async () => {
      const fresh = await newContext();
      const page = await fresh.newPage();
      const asked: string[] = [];
      // No network here: Playwright answers for the public host, with a file whose md5 is not Keras's.
      await page.route(FETCH_SOURCES.keras.url, (route) => {
        asked.push(route.request().url());
        return route.fulfill({ body: Buffer.from(PTH), headers: { 'Access-Control-Allow-Origin': '*' } });
      });
      await page.goto(server.url);
      expect(await page.inputValue('#weights-source')).toBe(DEFAULT_SOURCE);
      expect(await page.textContent('#download-weights')).toBe(`Download the weights: ${FETCH_SOURCES.keras.label}`);
      await page.click('#download-weights');
      await page.waitForFunction(() => s().error);
      expect(asked).toEqual([FETCH_SOURCES.keras.url]);
      const text = (await page.textContent('#weights-status'))!;
      expect(text).toBe(
        `${FETCH_SOURCES.keras.weights} from ${FETCH_SOURCES.keras.url} is damaged or not the expected file (its md5 is ${createHash('md5').update(PTH).digest('hex').slice(0, 16)}…, expected ${FETCH_SOURCES.keras.checksums.md5!.slice(0, 16)}…); nothing was kept: try the download again.`,
      );
      expect(await page.evaluate(async () => (await (await caches.open('wgpu-style-weights')).keys()).length)).toBe(0);
      // The menu offers every source the CLI knows; the button names the one chosen.
      await page.selectOption('#weights-source', 'torchvision');
      expect(await page.textContent('#download-weights')).toBe(`Download the weights: ${FETCH_SOURCES.torchvision.label}`);
      await fresh.close();
    }, 60_000);

    it("converts Keras's .h5 in the page, downloaded through a stand-in server and checked by its md5, and keeps the .bin", async () => {
      const fresh = await newContext();
      const page = await fresh.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}${downloadQuery(H5_NAME, createHash('md5').update(H5).digest('hex'))}`);
      const started = Date.now();
      await page.click('#download-weights');
      await page.waitForFunction(() => s().weights || s().error, undefined, { timeout: 120_000 });
      expect(await page.evaluate(() => [s().weightsFrom, s().error])).toEqual(['download', null]);
      expect(await page.textContent('#weights-status')).toBe(
        'Weights ready: vgg19_weights_tf_dim_ordering_tf_kernels_notop.bin, kept in this browser for next time (16 convs, input BGR).',
      );
      console.log(
        `web page: Keras .h5 (${(H5.byteLength / 1e3).toFixed(0)} KB, 80 MB of weights) downloaded, checked and converted in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      expect(await page.evaluate(async () => (await (await caches.open('wgpu-style-weights')).keys()).length)).toBe(1);
      expect(errors).toEqual([]);
      await fresh.close();
    }, 150_000);

    it("converts a .pth picked from disk in the page, refuses a network that is not VGG-19, unpacks the model zoo's zip and ends an HDF5 call that loops", async () => {
      const fresh = await newContext();
      const page = await fresh.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.setInputFiles('#weights-file', join(FIXTURES, 'resnet18-head.pth'));
      await page.waitForFunction(() => s().error);
      expect(await page.textContent('#weights-status')).toMatch(/resnet18-head\.pth: this is a ResNet .*not VGG-19/);
      await page.setInputFiles('#weights-file', join(FIXTURES, 'vgg19-expanded.pth'));
      await page.waitForFunction(() => s().weights);
      expect(await page.evaluate(() => s().weightsFrom)).toBe('file');
      expect(await page.textContent('#weights-status')).toMatch(/vgg19-expanded\.pth \(PyTorch\) \(16 convs, input RGB\)/);
      // The model zoo's zip is unpacked in the page: its .params reaches MXNet's converter (block 1 only: refused for its 2 convs).
      const zoo = zipFile([{ name: 'vgg19-ad2f660d.params', data: fixture('gluon-vgg19-block1.params'), deflate: true }]);
      await page.setInputFiles('#weights-file', { name: 'vgg19-ad2f660d.zip', mimeType: 'application/zip', buffer: Buffer.from(zoo) });
      await page.waitForFunction(() => s().error?.startsWith('vgg19-ad2f660d.params'));
      expect(await page.textContent('#weights-status')).toMatch(/^vgg19-ad2f660d\.params: holds 2 conv layers/);
      // An .h5 that sends HDF5 into a loop (one bit in the global heap, as in test/weights): the page ends its worker after HDF5_CALL_LIMIT_MS.
      const looping = join(work, 'looping.h5');
      await writeKerasH5(looping, 4, 'new');
      const bytes = readFileSync(looping);
      bytes[bytes.indexOf('GCOL') + 129]! ^= 1;
      const started = Date.now();
      await page.setInputFiles('#weights-file', { name: 'looping.h5', mimeType: 'application/x-hdf5', buffer: bytes });
      await page.waitForFunction(() => s().error?.startsWith('looping.h5'), undefined, { timeout: 30_000 });
      expect(await page.textContent('#weights-status')).toBe(
        `looping.h5: HDF5 did not read the layer names within ${HDF5_CALL_LIMIT_MS / 1000} s (it loops on some damaged files); the file is corrupt. Download or export it again.`,
      );
      expect(Date.now() - started).toBeLessThan(HDF5_CALL_LIMIT_MS + 10_000);
      expect(errors).toEqual([]);
      await fresh.close();
    }, 60_000);
  },
);

/** Packages the page imports, each with a browser build: md5 (hash-wasm) and HDF5 (h5wasm's ESM build) in the conversion worker. */
const BROWSER_PACKAGES = ['hash-wasm', 'h5wasm'];

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
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from |import\()'([^']+)'/g)) {
        const relativeImport = spec!.startsWith('.');
        const inCore = relativeImport && !/\/(node|cli|io\/image)\b/.test(join(file, '..', spec!).replace(REPO_ROOT, ''));
        if (!(relativeImport ? inCore : spec === 'virtual:shaders' || BROWSER_PACKAGES.includes(spec!)))
          offenders.push(`${relative(REPO_ROOT, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
