// Small synthetic pictures with enough structure for every loss term.

import type { RgbaImage } from '../../src/style/image-tensor.js';

/** 'content': smooth colour ramps with a ripple; 'style': diagonal colour waves. */
export function picture(width: number, height: number, kind: 'content' | 'style'): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (kind === 'content') data.set([(x * 255) / width, (y * 255) / height, 128 + 100 * Math.sin(x / 3), 255], i);
      else data.set([190 + 60 * Math.sin((x + 2 * y) / 4), 110 + 90 * Math.cos(y / 5), 70 + 50 * Math.sin(x / 7), 255], i);
    }
  return { width, height, data };
}
