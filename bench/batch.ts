// Per-image time of many images with one style: separate CLI runs (a process each: Dawn, weights,
// pipelines, the style's Grams every time) vs one `wgpu-style batch` process vs 2 queue workers on
// this machine (a redis-server started here; the workers' start-up not counted, as they stay up).
//   npx tsx bench/batch.ts [--images 20] [--size 128] [--steps 5] [--skip-separate] [--skip-queue]
// Synthetic VGG-19 weights (all of conv1_1..conv5_1, the default layers): the timing does not depend
// on the weights' values. Everything with --no-autotune, so no mode pays for tuning.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { syntheticWeights, writeImage } from '../src/index.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { freePort, RedisServer } from '../test/helpers/redis.js';
import { picture } from '../test/helpers/pictures.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '20' },
    size: { type: 'string', default: '128' },
    steps: { type: 'string', default: '5' },
    'skip-separate': { type: 'boolean' },
    'skip-queue': { type: 'boolean' },
  },
});
const count = Number(values.images);
const work = mkdtempSync(join(tmpdir(), 'wgpu-style-bench-batch-'));
const bin = join(import.meta.dirname, '..', 'bin', 'wgpu-style.js');
const env = { ...process.env, WGPU_STYLE_CACHE: join(work, 'cache') };
const style = ['--size', values.size!, '--scales', '1', '--steps', values.steps!, '--no-autotune', '--weights', join(work, 'syn.bin')];

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`wgpu-style ${args.join(' ')}: exit ${code}\n${err}`))));
  });
}

async function timed(label: string, body: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await body();
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(34)} ${seconds.toFixed(1).padStart(7)} s total  ${(seconds / count).toFixed(2).padStart(6)} s/image`);
}

try {
  mkdirSync(join(work, 'in'));
  mkdirSync(join(work, 'separate'));
  await writeWeightsFile(join(work, 'syn.bin'), syntheticWeights(3));
  writeImage(join(work, 'style.png'), picture(256, 256, 'style'));
  // 4:3 photos of one size, as an album's usually are.
  for (let i = 0; i < count; i++) writeImage(join(work, 'in', `img${String(i).padStart(2, '0')}.png`), picture(320 + i, 240, 'content'));
  console.log(`${count} images, ${values.size} px, 1 scale, ${values.steps} steps; ${cpus().length} CPUs (${cpus()[0]?.model})`);
  if (!values['skip-separate'])
    await timed('separate CLI runs', async () => {
      for (let i = 0; i < count; i++) {
        const name = `img${String(i).padStart(2, '0')}`;
        await run([join('in', `${name}.png`), 'style.png', ...style, '-o', join('separate', `${name}.png`)]);
      }
    });
  await timed('one batch process', () => run(['batch', 'in', '--style', 'style.png', ...style, '-o', 'batch']));
  if (!values['skip-queue']) {
    mkdirSync(join(work, 'redis'));
    const redis = new RedisServer(await freePort(), join(work, 'redis'));
    await redis.start();
    const workers: ChildProcess[] = [];
    try {
      for (let i = 0; i < 2; i++) workers.push(await startWorker(redis.url));
      await timed('2 queue workers', () =>
        run(['batch', 'in', '--style', 'style.png', ...style, '-o', 'queued', '--queue', redis.url, '--wait']),
      );
    } finally {
      for (const w of workers) w.kill('SIGINT');
      await redis.stop();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** A worker, once it says it is waiting for images. */
function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bin, 'worker', '--queue', url, '--weights', join(work, 'syn.bin')], { cwd: work, env });
  let log = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      log += d;
      if (log.includes('waiting for images')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${log}`)));
  });
}
