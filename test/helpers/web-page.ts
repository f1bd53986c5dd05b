// For the page's tests (test/web*.test.ts): Chromium with WebGPU on the machine's Vulkan driver
// when it can, and a file server on another port standing in for a public weights URL.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_SOFTWARE_VULKAN_FLAGS } from '../../src/node/web-server.js';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Chromium with CHROMIUM_SOFTWARE_VULKAN_FLAGS: the page runs on lavapipe through ANGLE rather than
 * on SwiftShader (7–10 s a step at 32×24 on two cores). Without a Vulkan driver Chromium still
 * offers SwiftShader, and the tests only take longer.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      ...CHROMIUM_SOFTWARE_VULKAN_FLAGS,
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface StandIn {
  url(path: string): string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves `files` on 127.0.0.1 with CORS allowed, as a public weights host must for the page. */
export async function startStandIn(files: Map<string, Uint8Array>): Promise<StandIn> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const file = files.get(path);
    if (!file) return void res.writeHead(404, { 'Access-Control-Allow-Origin': '*' }).end('not found');
    res.writeHead(200, { 'Content-Length': file.byteLength, 'Access-Control-Allow-Origin': '*' }).end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: (path) => `${base}${path}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
