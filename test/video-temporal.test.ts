// What a video frame takes from the frames before it (src/video/temporal.ts), against what Ruder et
// al. 2016 say, on a tiny pan (2 px a frame) with an object moving the other way: with two earlier
// frames, each earlier output is warped by the backward flow t → t−j (it lands where the known motion
// puts it), each certainty is the consistency of that flow with t−j → t, combined long-term
// (c_long_j = max(c_j − Σ_{k<j} c_k, 0), the float64 formula here), and the start is the nearest
// warped output where its flow is reliable and the content elsewhere.

import { describe, expect, it } from 'vitest';
import { flowConsistency, opticalFlow } from '../src/flow/index.js';
import { rgbToNormalized } from '../src/style/image-tensor.js';
import { frameTensor, frameTemporal } from '../src/video/temporal.js';
import { useGpu } from './helpers/gpu.js';
import { makeClip, texture } from './helpers/video-clip.js';

const gpu = useGpu();
const [W, H, PAN] = [40, 32, 2];
const size = { width: W, height: H };
const clip = makeClip(texture(60, 32), {
  width: W,
  height: H,
  frames: 3,
  pan: PAN,
  object: { image: texture(6, 10, 90, 40), x: 6, y: 10, speed: 5 },
});
// Two earlier "outputs", different from each other and from the content, so a swapped pairing shows.
const outputs = [texture(W, H, 200, 7), texture(W, H, 300, 50)];

async function read(t: { read(): Promise<Float32Array>; release(): void }): Promise<Float32Array> {
  const v = await t.read();
  t.release();
  return v;
}

describe('frameTemporal', () => {
  it('warps each earlier output by t → t−j, combines the certainties long-term and starts from the nearest', async () => {
    const ctx = gpu();
    const [current, ...before] = [clip.frames[2]!, clip.frames[1]!, clip.frames[0]!];
    const earlier = before.map((content, j) => ({ content, output: outputs[j]! }));
    const got = frameTemporal(ctx, current, earlier, size, 3);
    expect(got.term.weight).toBe(3);
    expect(got.term.terms).toHaveLength(2);

    // The certainties as the contract defines them, then combined by the formula in float64.
    const now = frameTensor(ctx, current, size, 'now');
    const raw: Float32Array[] = [];
    for (const frame of before) {
      const then = frameTensor(ctx, frame, size, 'then');
      const [back, fwd] = [opticalFlow(ctx, now, then), opticalFlow(ctx, then, now)];
      raw.push(await read(flowConsistency(ctx, back, fwd)));
      for (const t of [then, back, fwd]) t.release();
    }
    const longTerm = raw.map((c, j) => c.map((v, i) => Math.max(v - raw.slice(0, j).reduce((s, k) => s + k[i]!, 0), 0)));
    const certainties = await Promise.all(got.term.terms.map((t) => t.certainty.read()));
    certainties.forEach((c, j) => expect(Array.from(c), `c_long_${j + 1}`).toEqual(Array.from(longTerm[j]!)));
    // The test means something: the farther frame keeps pixels the nearer one lost, and loses those it shares.
    const ones = (c: Float32Array) => c.filter((v) => v === 1).length;
    expect(ones(certainties[1]!)).toBeGreaterThan(0);
    expect(ones(certainties[1]!)).toBeLessThan(ones(raw[1]!) / 2);

    // Each target is output t−j moved by the known motion j·PAN (in the normalised space), where certain.
    for (const [j, term] of got.term.terms.entries()) {
      const rgb = frameTensor(ctx, outputs[j]!, size, 'output');
      const expected = await read(rgbToNormalized(ctx, rgb, W, H));
      rgb.release();
      const target = await term.target.read();
      const shift = (j + 1) * PAN;
      let [moved, still, n] = [0, 0, 0];
      for (let y = 0; y < H; y++)
        for (let x = 4; x + shift < W - 4; x++) {
          // Background only (the object's rows left out: it moves otherwise), where the flow is reliable.
          if ((y >= 10 && y < 20) || raw[j]![y * W + x] !== 1) continue;
          for (let c = 0; c < 3; c++) {
            const at = (c * H + y) * W + x;
            moved += Math.abs(target[at]! - expected[at + shift]!);
            still += Math.abs(target[at]! - expected[at]!);
            n++;
          }
        }
      expect(n).toBeGreaterThan(300);
      expect(moved / n, `target ${j + 1} against output t−${j + 1} moved by ${shift} px`).toBeLessThan((still / n) * 0.1);
    }

    // The start: the nearest warped output where c_1 is 1, the content where it is 0.
    const init = await got.init.read();
    const [warped1, content] = [await got.term.terms[0]!.target.read(), await read(rgbToNormalized(ctx, now, W, H))];
    now.release();
    const plane = W * H;
    for (let i = 0; i < init.length; i++) {
      const c = raw[0]![i % plane]!;
      expect(init[i], `init[${i}] with c_1 = ${c}`).toBeCloseTo(c * warped1[i]! + (1 - c) * content[i]!, 4);
    }
    expect(raw[0]!.some((c) => c === 0) && raw[0]!.some((c) => c === 1)).toBe(true);
    const live = ctx.memory().liveBuffers;
    got.release();
    expect(ctx.memory().liveBuffers).toBe(live - 5); // two targets, two certainties, the start
  });
});
