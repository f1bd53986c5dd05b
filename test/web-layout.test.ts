// The page at phone width, by keyboard alone, and without WebGPU: headless Chromium through
// Playwright (test/helpers/web-page.ts), no run needed.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer } from '../src/node/web-server.js';
import { ESSENTIAL_SETTINGS, pageFields } from '../src/web/settings-form.js';
import { SETTINGS, withDefault } from '../src/plan/options.js';
import { REPO_ROOT } from './helpers/shared.js';
import { CHROMIUM, launchChromium } from './helpers/web-page.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-web-layout-'));
const SHOTS = process.env.WGPU_STYLE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : join(REPO_ROOT, 'test-results');

describe.runIf(existsSync(CHROMIUM) || (console.warn(`[skip] web layout test: ${CHROMIUM} is absent (apt-get install chromium)`), false))(
  'the page for every visitor',
  () => {
    let server: Awaited<ReturnType<typeof startWebServer>>;
    let browser: Browser;

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      server = await startWebServer({ port: 0, weightsDir: join(work, 'no-weights'), outDir: join(work, 'site') });
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      rmSync(work, { recursive: true, force: true });
    });

    it('at 390 px wide nothing scrolls sideways, with the examples chosen and Advanced open', async () => {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      await page.goto(server.url);
      await page.click('#example-tubingen');
      await page.click('#example-starry_night');
      await page.click('#advanced summary');
      await page.click('#weights-more summary');
      await page.waitForFunction(() => (globalThis as any).wgpuStyle.content && (globalThis as any).wgpuStyle.style);
      const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      expect(widths[0]).toBeLessThanOrEqual(widths[1]!);
      const wide = await page.evaluate(() =>
        Array.from(document.querySelectorAll('body *'))
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          .map((e) => e.id || e.tagName),
      );
      expect(wide).toEqual([]);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS, 'page-phone.png') });
      await page.close();
    }, 60_000);

    it('the keyboard reaches the examples, the image and weights pickers, every setting and the compare slider; Enter picks an example', async () => {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.click('#advanced summary');
      const reached = new Set<string>();
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press('Tab');
        const id = await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || '');
        reached.add(id);
        if (id === 'example-starry_night') {
          await page.keyboard.press('Enter');
          await page.waitForFunction(() => (globalThis as any).wgpuStyle.style);
        }
      }
      const wanted = [
        'example-tubingen',
        'example-starry_night',
        'content-file',
        'style-file',
        'download-weights',
        'weights-file',
        'compare',
      ];
      expect([...wanted, ...pageFields().map((f) => f.id)].filter((id) => !reached.has(id))).toEqual([]);
      expect(await page.evaluate(() => Boolean((globalThis as any).wgpuStyle.style))).toBe(true);
      // Start is a button, reached once it is enabled; disabled now (no content, no weights), so the status says why.
      expect(await page.textContent('#status')).toMatch(/^To start, choose a content image and the weights\.$/);
      await page.close();
    }, 60_000);

    it("every field shows its setting's help text from the option schema; the essential ones up front", async () => {
      const page = await browser.newPage();
      await page.goto(server.url);
      for (const field of pageFields()) {
        expect(await page.textContent(`#${field.id}-help`)).toBe(withDefault(SETTINGS[field.key]).join(' '));
        const upFront = await page.evaluate((id) => Boolean(document.getElementById(id)!.closest('#settings')), field.id);
        expect(upFront, field.id).toBe(ESSENTIAL_SETTINGS.includes(field.key));
      }
      await page.close();
    }, 60_000);

    it('a pasted image becomes the content and a dropped one the style; an empty server list is not shown', async () => {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.evaluate(async () => {
        const file = async (name: string) => new File([await (await fetch(`examples/${name}`)).blob()], name, { type: 'image/jpeg' });
        const pasted = new DataTransfer();
        pasted.items.add(await file('tubingen.jpg'));
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted }));
        const dropped = new DataTransfer();
        dropped.items.add(await file('starry_night.jpg'));
        document.getElementById('style-drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, cancelable: true }));
      });
      await page.waitForFunction(() => (globalThis as any).wgpuStyle.content && (globalThis as any).wgpuStyle.style);
      const sizes = await page.evaluate(() => {
        const s = (globalThis as any).wgpuStyle;
        return [s.content.width, s.content.height, s.style.width, s.style.height];
      });
      expect(sizes).toEqual([512, 384, 512, 320]); // examples/README.md's sizes
      await page.click('#weights-more summary');
      expect(await page.isHidden('#server-row')).toBe(true); // this server has no .bin files to offer
      await page.close();
    }, 60_000);

    it('says clearly when the browser has no WebGPU', async () => {
      const page = await browser.newPage();
      await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
      await page.goto(server.url);
      await page.waitForFunction(() => !/Looking for/.test(document.getElementById('adapter')!.textContent!));
      expect(await page.textContent('#adapter')).toMatch(/^This browser has no WebGPU .*use a current Chrome, Edge or Safari/);
      expect(await page.getAttribute('#adapter', 'class')).toContain('error');
      await page.close();
    });
  },
);
