// The page's images: the bundled examples (examples/, served by the page's server), and the
// user's own by pick, drop or paste, decoded by the browser; drawing them on canvases.

import type { RgbaImage } from '../style/image-tensor.js';

export type ImageKind = 'content' | 'style';

/** The README's quick-start pair (examples/README.md has their sources and licences). */
export const EXAMPLES: ReadonlyArray<{ kind: ImageKind; file: string; title: string; credit: string }> = [
  { kind: 'content', file: 'tubingen.jpg', title: 'Tübingen', credit: 'photo: Andreas Praefcke, CC BY 3.0' },
  { kind: 'style', file: 'starry_night.jpg', title: 'The Starry Night', credit: 'Vincent van Gogh, public domain' },
];

export async function decodeImage(file: Blob): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = canvas.getContext('2d')!;
  g.drawImage(bitmap, 0, 0);
  const data = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
  return { width: bitmap.width, height: bitmap.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export async function fetchExample(file: string): Promise<RgbaImage> {
  const response = await fetch(`examples/${encodeURIComponent(file)}`);
  if (!response.ok) throw new Error(`examples/${file}: HTTP ${response.status}`);
  return decodeImage(await response.blob());
}

/** Draws `image` on `canvas`: resized to `width`×`height` when given (the canvas takes that size), else at its own size. */
export function drawImage(canvas: HTMLCanvasElement, image: RgbaImage, width = image.width, height = image.height): void {
  [canvas.width, canvas.height] = [width, height];
  const g = canvas.getContext('2d')!;
  const pixels = new ImageData(new Uint8ClampedArray(image.data), image.width, image.height);
  if (width === image.width && height === image.height) {
    g.putImageData(pixels, 0, 0);
    return;
  }
  const tmp = new OffscreenCanvas(image.width, image.height);
  tmp.getContext('2d')!.putImageData(pixels, 0, 0);
  g.imageSmoothingQuality = 'high';
  g.drawImage(tmp, 0, 0, width, height);
}

/** A preview at most `side` px on its longest side. */
export function drawPreview(canvas: HTMLCanvasElement, image: RgbaImage, side = 240): void {
  const f = Math.min(1, side / Math.max(image.width, image.height));
  drawImage(canvas, image, Math.max(1, Math.round(image.width * f)), Math.max(1, Math.round(image.height * f)));
}

/** Calls `accept` with the file the user picks or drops on `zone` (its file input inside). */
export function onImageFile(zone: HTMLElement, input: HTMLInputElement, accept: (file: File) => void): void {
  input.addEventListener('change', () => input.files?.[0] && accept(input.files[0]));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) accept(file);
  });
}

/** Calls `accept` with an image pasted anywhere on the page. */
export function onPastedImage(accept: (file: File) => void): void {
  document.addEventListener('paste', (e) => {
    const file = Array.from(e.clipboardData?.files ?? []).find((f) => f.type.startsWith('image/'));
    if (file) accept(file);
  });
}
