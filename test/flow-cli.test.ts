// `wgpu-style flow`: a pair of images whose motion is known (a smooth texture shifted by whole
// pixels) gives a .flo that decodes to that shift, and a colour PNG beside it; bad input gets one line.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFlo } from '../src/io/flo.js';
import { readImage, writeImage } from '../src/index.js';
import { cli } from './helpers/cli.js';
import { texture } from './helpers/video-clip.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-flow-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const run = (args: string[]) => cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: join(work, 'cache') } });

const [W, H] = [48, 40];
/** The motion from a to b: a(x, y) = b(x + U, y + V). */
const [U, V] = [2, -1];

beforeAll(() => {
  writeImage(join(work, 'a.png'), texture(W, H));
  // b's pixel (x + U, y + V) shows a's (x, y): the window moved by (-U, -V).
  writeImage(join(work, 'b.png'), texture(W, H, -U, -V));
  writeImage(join(work, 'small.png'), texture(W - 2, H));
});

describe('wgpu-style flow', () => {
  it('writes a .flo that decodes to the known shift, and a colour PNG beside it', async () => {
    const r = await run(['flow', 'a.png', 'b.png', '-o', 'f.flo']);
    expect(r.stderr).toMatch(/^wrote f\.flo and f\.png \(48×40, mean motion [\d.]+ px, largest [\d.]+ px\) in [\d.]+ s$/m);
    expect(r.code).toBe(0);
    const flow = decodeFlo(readFileSync(join(work, 'f.flo')), 'f.flo');
    expect([flow.width, flow.height]).toEqual([W, H]);
    // End-point error inside a 6-pixel margin (the texture that enters at the border has no match).
    const plane = W * H;
    let epe = 0;
    let n = 0;
    for (let y = 6; y < H - 6; y++)
      for (let x = 6; x < W - 6; x++) {
        epe += Math.hypot(flow.data[y * W + x]! - U, flow.data[plane + y * W + x]! - V);
        n++;
      }
    expect(epe / n).toBeLessThan(0.3);
    const png = readImage(join(work, 'f.png'));
    expect([png.width, png.height]).toEqual([W, H]);
  });

  it('--help says what it writes; bad input is one line, exit 2, and nothing is written', async () => {
    const help = await run(['flow', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: wgpu-style flow <a> <b> -o <flow\.flo>.*a\(x, y\) ≈ b\(x \+ u, y \+ v\).*colour-coded PNG/s);
    expect((await run(['--help'])).stdout).toMatch(/wgpu-style flow <a> <b> -o f\.flo/);
    const cases: Array<[string[], RegExp]> = [
      [['flow', 'a.png', 'small.png', '-o', 'x.flo'], /small\.png is 46×40 but a\.png is 48×40; the two images must be the same size/],
      [['flow', 'a.png', 'b.png', '-o', 'x.png'], /-o x\.png: the flow is written as \.flo; give a name ending in \.flo/],
      [['flow', 'a.png', 'b.png'], /give the \.flo file to write with -o/],
      [['flow', 'a.png', '-o', 'x.flo'], /give two images/],
      [['flow', 'a.png', 'missing.png', '-o', 'x.flo'], /missing\.png: cannot read the image \(no such file\)/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^wgpu-style: .*${message.source}.*\\n$`));
      expect(readdirSync(work).filter((n) => n.startsWith('x.'))).toEqual([]);
    }
    // The PNG beside the .flo would be an input: refused before any work.
    const over = await run(['flow', 'a.png', 'b.png', '-o', 'a.flo']);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/the colour-coded PNG .*a\.png is the input a\.png; refusing to write over it: choose another -o/);
  });
});
