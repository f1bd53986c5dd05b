// The sizes the job draws its images at, for the job and for the plan of its memory.

import { minimumSide } from '../vgg/index.js';

/**
 * A style image's size at a scale: --style-scale times the scale's longer side (the style image's
 * proportions kept), never so small that the deepest layer used (`deepest`) is empty.
 */
export function styleImageSize(
  style: { width: number; height: number },
  scale: { width: number; height: number },
  styleScale: number,
  deepest: number,
): { width: number; height: number } {
  const { width: w, height: h } = style;
  const f = Math.max((styleScale * Math.max(scale.width, scale.height)) / Math.max(w, h), minimumSide(deepest) / Math.min(w, h));
  return { width: Math.max(1, Math.round(w * f)), height: Math.max(1, Math.round(h * f)) };
}
