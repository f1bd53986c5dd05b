// The distinct kernel shapes VGG-19 layers 0–28 produce at a given image size, with the work each
// does: FLOPs (2 per multiply-add) for conv and Gram, bytes moved for the memory-bound kernels.

import { moduleShapes } from '../src/vgg/index.js';

export type Op = 'conv3x3' | 'relu' | 'maxpool' | 'gram' | 'mse' | 'tv' | 'adam';
export type Pass = 'forward' | 'input-grad' | 'weight-grad' | 'backward' | 'step';

export interface KernelCase {
  op: Op;
  /** VGG module index, or null for the image-level kernels (tv, adam). */
  layer: number | null;
  /** [N, C, H, W] of the op's input (conv: also cout). */
  shape: number[];
  cout?: number;
}

export const STYLE_LAYERS = [0, 5, 10, 19, 28];
export const CONTENT_LAYER = 25;

export function vggCases(size: number, upTo = 28): KernelCase[] {
  const cases: KernelCase[] = [];
  const seen = new Set<string>();
  const add = (c: KernelCase) => {
    const key = `${c.op}:${c.shape.join('x')}:${c.cout ?? ''}`;
    if (!seen.has(key)) {
      seen.add(key);
      cases.push(c);
    }
  };
  for (const { module: m, input, output } of moduleShapes(size, size, upTo)) {
    if (m.kind === 'conv') add({ op: 'conv3x3', layer: m.index, shape: [1, ...input], cout: m.cout });
    if (m.kind === 'relu') add({ op: 'relu', layer: m.index, shape: [1, ...input] });
    if (m.kind === 'pool') add({ op: 'maxpool', layer: m.index, shape: [1, ...input] });
    if (STYLE_LAYERS.includes(m.index)) {
      add({ op: 'gram', layer: m.index, shape: [1, ...output] });
      add({ op: 'mse', layer: m.index, shape: [1, m.cout, m.cout] });
    }
    if (m.index === CONTENT_LAYER) add({ op: 'mse', layer: m.index, shape: [1, ...output] });
  }
  add({ op: 'tv', layer: null, shape: [1, 3, size, size] });
  add({ op: 'adam', layer: null, shape: [1, 3, size, size] });
  return cases;
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** FLOPs for compute-bound kernels, else null. */
export function flops(c: KernelCase, pass: Pass): number | null {
  const [n, cin, h, w] = c.shape as [number, number, number, number];
  if (c.op === 'conv3x3') return 2 * 9 * cin * c.cout! * h * w * n;
  if (c.op === 'gram') return 2 * cin * cin * h * w * n * (pass === 'forward' ? 1 : 1);
  return null;
}

/** Bytes read + written by memory-bound kernels, else null. */
export function bytes(c: KernelCase, pass: Pass): number | null {
  const e = count(c.shape) * 4;
  switch (c.op) {
    case 'relu':
      return pass === 'forward' ? 2 * e : 3 * e;
    case 'maxpool':
      return pass === 'forward' ? e * 1.25 : e * 2.25;
    case 'mse':
      return pass === 'forward' ? 2 * e : 3 * e;
    case 'tv':
      return pass === 'forward' ? e : 2 * e;
    case 'adam':
      return 7 * e; // read grad, param, m, v; write param, m, v
    default:
      return null;
  }
}
