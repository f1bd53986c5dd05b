// `npm run web`: bundles the page (src/web: main.js and its conversion worker) with esbuild — the
// WGSL shaders included as text — and serves it on 127.0.0.1 together with the example images
// (examples/, the README's quick-start pair and their licences) and the .bin weights in the CLI's
// cache directory.

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { loadShaders } from './shaders.js';
import { cacheDir } from './weights-files.js';

const WEB_SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'web');
const EXAMPLES = join(WEB_SRC, '..', '..', 'examples');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.md': 'text/plain; charset=utf-8',
};

/** Bundles src/web/main.ts and its worker for browsers into `outDir`; a Node-only import anywhere in them fails the build. */
export async function buildWebApp(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(WEB_SRC, 'main.ts'), join(WEB_SRC, 'convert-worker.ts')],
    bundle: true,
    format: 'esm',
    // Code only a rare path needs is its own file, fetched when first imported: h5wasm (4 MB, for
    // Keras's .h5), kept in UTF-8 (its wasm is a string of bytes that escaping would make 40% longer).
    splitting: true,
    chunkNames: '[name]-[hash]',
    charset: 'utf8',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    outdir: outDir,
    logLevel: 'silent',
    plugins: [
      {
        name: 'wgsl-shaders',
        setup(b) {
          b.onResolve({ filter: /^virtual:shaders$/ }, () => ({ path: 'shaders', namespace: 'wgsl' }));
          b.onLoad({ filter: /.*/, namespace: 'wgsl' }, () => ({
            contents: `export default ${JSON.stringify(loadShaders())};`,
            loader: 'js',
          }));
        },
      },
    ],
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(WEB_SRC, file), join(outDir, file));
}

/**
 * Chromium flags that give the page WebGPU on the machine's Vulkan driver where Chromium offers
 * only SwiftShader as its core adapter: ANGLE on Vulkan, and WebGPU's compatibility mode on ANGLE's
 * OpenGL ES, which the page takes when the core adapter is a fallback (src/web/gpu-init.ts). With
 * Mesa's lavapipe on two cores: 0.3–0.5 s a step at 32×24 against SwiftShader's 7–10 s (docs/browser.md).
 */
export const CHROMIUM_SOFTWARE_VULKAN_FLAGS: readonly string[] = [
  '--use-webgpu-adapter=opengles',
  '--use-angle=vulkan',
  '--use-vulkan=native',
  '--enable-features=Vulkan,DefaultANGLEVulkan,VulkanFromANGLE',
];

export interface WebServerOptions {
  port?: number;
  /** Folder whose .bin files the page may load (default: the CLI's weights cache). */
  weightsDir?: string;
  outDir?: string;
}

export async function startWebServer(options: WebServerOptions = {}): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const outDir = options.outDir ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');
  const weightsDir = options.weightsDir ?? cacheDir();
  await buildWebApp(outDir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/weights/') {
      const list = existsSync(weightsDir)
        ? readdirSync(weightsDir)
            .filter((f) => f.endsWith('.bin'))
            .sort()
        : [];
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(list));
      return;
    }
    const file = path.startsWith('/weights/')
      ? join(weightsDir, basename(path))
      : path.startsWith('/examples/')
        ? join(EXAMPLES, basename(path))
        : join(outDir, basename(path === '/' ? 'index.html' : path));
    if (!existsSync(file) || (path.startsWith('/weights/') && !file.endsWith('.bin'))) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res
      .writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' })
      .end(readFileSync(file));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
