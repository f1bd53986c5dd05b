// Before and after: the result over the content image (resized to the result's size), split where
// the slider says; the slider is a plain range input, so arrows and Home/End move it.

import type { RgbaImage } from '../style/image-tensor.js';
import { drawImage } from './images.js';

export function showCompare(before: HTMLCanvasElement, after: HTMLCanvasElement, content: RgbaImage, result: RgbaImage): void {
  drawImage(before, content, result.width, result.height);
  drawImage(after, result);
}

/** Shows the result left of `percent` % of the width and the content right of it. */
export function setSplit(after: HTMLCanvasElement, percent: number): void {
  after.style.clipPath = `inset(0 ${100 - percent}% 0 0)`;
}

export function setupCompare(slider: HTMLInputElement, after: HTMLCanvasElement): void {
  const update = () => setSplit(after, Number(slider.value));
  slider.addEventListener('input', update);
  update();
}
