// What bench/optimizers.ts writes besides its table: the loss-against-evaluations chart (SVG), the
// results side by side (one image), and the problem handed to bench/pytorch_lbfgs.py (the content
// and style images exactly as the job sizes them, in the normalised space, with the weights and the
// loss's constants) so that torch optimises the same function.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpuContext } from '../src/gpu/index.js';
import { channelAffineForward, resize } from '../src/kernels/index.js';
import { inputScale, lossNormalizers, RGB_TO_NORMALIZED, normalizedToNetwork } from '../src/style/convention.js';
import { uploadImage, type RgbaImage } from '../src/style/image-tensor.js';
import { styleImageSize } from '../src/style/sizes.js';
import { DEFAULT_SETTINGS } from '../src/plan/settings.js';
import { layerIndex, VGG19_FEATURES, type VggWeights } from '../src/vgg/index.js';

export interface Series {
  name: string;
  source: 'wgpu-style' | 'torch';
  /** The total loss of each evaluation. */
  losses: number[];
  secondsPerEvaluation: number;
}

const COLOURS = ['#1b6ac9', '#7fb2f0', '#d9480f', '#f59f00', '#2b8a3e', '#8ce99a', '#862e9c', '#e599f7'];

/** Loss (log scale) against evaluations, one line per series: a run and its torch twin share a colour, torch's dashed. */
export function lossPlot(series: Series[], title: string): string {
  const [w, h, left, right, top, bottom] = [780, 420, 60, 215, 30, 40];
  const all = series.flatMap((s) => s.losses).filter((v) => v > 0 && Number.isFinite(v));
  const [lo, hi] = [Math.log10(Math.min(...all) * 0.98), Math.log10(Math.max(...all))];
  const n = Math.max(...series.map((s) => s.losses.length));
  const x = (i: number) => left + ((w - left - right) * i) / Math.max(1, n - 1);
  const y = (v: number) => top + ((h - top - bottom) * (hi - Math.log10(v))) / Math.max(1e-9, hi - lo);
  const names = [...new Set(series.map((s) => s.name))];
  const lines = series.map((s, k) => {
    const points = s.losses.map((v, i) => `${x(i).toFixed(1)},${y(Math.min(Math.max(v, 10 ** lo), 10 ** hi)).toFixed(1)}`).join(' ');
    const colour = COLOURS[names.indexOf(s.name) % COLOURS.length];
    const dash = s.source === 'torch' ? ' stroke-dasharray="5 4"' : '';
    const legend = `<text x="${w - right + 12}" y="${top + 16 * k + 4}" fill="${colour}">${s.name}${s.source === 'torch' ? ' (torch, dashed)' : ''}</text>`;
    return `<polyline fill="none" stroke="${colour}" stroke-width="1.5"${dash} points="${points}"/>${legend}`;
  });
  const ticks: string[] = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++)
    for (const m of [1, 1.5, 2, 3, 4, 5, 7]) {
      const v = m * 10 ** e;
      if (Math.log10(v) < lo || Math.log10(v) > hi) continue;
      ticks.push(`<line x1="${left}" x2="${w - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e4e4e4"/>`);
      ticks.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toPrecision(2).replace(/\.0+$/, '')}</text>`);
    }
  for (let i = 0; i <= n; i += 50) ticks.push(`<text x="${x(Math.max(0, i - 1))}" y="${h - bottom + 16}" text-anchor="middle">${i}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14">${title}</text>`,
    ...ticks,
    `<rect x="${left}" y="${top}" width="${w - left - right}" height="${h - top - bottom}" fill="none" stroke="#888"/>`,
    `<text x="${(left + w - right) / 2}" y="${h - 6}" text-anchor="middle">loss evaluations</text>`,
    ...lines,
    '</svg>',
  ].join('\n');
}

/** The images in a row, 4 px apart, on white. */
export function sideBySide(images: RgbaImage[]): RgbaImage {
  const gap = 4;
  const width = images.reduce((a, im) => a + im.width, 0) + gap * (images.length - 1);
  const height = Math.max(...images.map((im) => im.height));
  const data = new Uint8Array(width * height * 4).fill(255);
  let x0 = 0;
  for (const im of images) {
    for (let y = 0; y < im.height; y++) data.set(im.data.subarray(y * im.width * 4, (y + 1) * im.width * 4), (y * width + x0) * 4);
    x0 += im.width + gap;
  }
  return { width, height, data };
}

/**
 * Writes <out>/optimizers-problem.json and .bin: the content and style images in the normalised space
 * at the sizes the job uses (the same kernels), the convolutions up to the deepest layer, the map
 * from the normalised space to the weights' input, and the loss's layers, weights and normalisers.
 */
export async function exportProblem(
  ctx: GpuContext,
  weights: VggWeights,
  content: RgbaImage,
  style: RgbaImage,
  problem: { size: number; contentLayers: string[]; styleLayers: string[]; contentWeight: number; tvWeight: number },
  out: string,
): Promise<string> {
  const contentLayers = problem.contentLayers.map(layerIndex);
  const styleLayers = problem.styleLayers.map(layerIndex);
  const deepest = Math.max(...contentLayers, ...styleLayers);
  const f = problem.size / Math.max(content.width, content.height);
  const contentSize = { width: Math.round(content.width * f), height: Math.round(content.height * f) };
  // The job's style size with --style-scale 1: the working size's longest side.
  const styleSize = styleImageSize(style, contentSize, 1, deepest);
  const arrays: Array<[string, readonly number[], Float32Array]> = [];
  for (const [name, image, at] of [
    ['content', content, contentSize],
    ['style', style, styleSize],
  ] as const) {
    const rgb = uploadImage(ctx, image, name, at);
    const sized = resize(ctx, rgb, at.height, at.width);
    const normalized = channelAffineForward(ctx, sized, RGB_TO_NORMALIZED);
    arrays.push([name, normalized.shape, await normalized.read()]);
    for (const t of [rgb, sized, normalized]) t.release();
  }
  const modules = VGG19_FEATURES.slice(0, deepest + 1).map((m) => ({ kind: m.kind, name: m.name }));
  for (const m of modules.filter((m) => m.kind === 'conv')) {
    for (const part of ['weight', 'bias']) {
      const t = weights.tensors.get(`${m.name}.${part}`)!;
      arrays.push([`${m.name}.${part}`, t.shape, t.data]);
    }
  }
  const k = inputScale(weights.input);
  const layout: Array<{ name: string; shape: readonly number[]; offset: number }> = [];
  let offset = 0;
  for (const [name, shape, data] of arrays) {
    layout.push({ name, shape, offset });
    offset += data.length;
  }
  const blob = new Float32Array(offset);
  arrays.forEach(([, , data], i) => blob.set(data, layout[i]!.offset));
  writeFileSync(join(out, 'optimizers-problem.bin'), new Uint8Array(blob.buffer));
  const header = {
    data: 'optimizers-problem.bin',
    arrays: layout,
    modules,
    toNetwork: normalizedToNetwork(weights.input),
    loss: {
      contentLayers,
      styleLayers,
      contentWeight: problem.contentWeight,
      styleWeight: DEFAULT_SETTINGS.styleWeight,
      tvWeight: problem.tvWeight,
      ...lossNormalizers(k),
    },
  };
  const path = join(out, 'optimizers-problem.json');
  writeFileSync(path, JSON.stringify(header));
  return path;
}
