// The page's style mask (--style-mask): beside the style image, an optional mask image, white where
// the style goes (grey = its share); without one the style covers the whole photo. The job checks it
// against the content (its shape) as the CLI's run does (src/style/masks.ts) and says why it refuses.

import type { RgbaImage } from '../style/image-tensor.js';
import { decodeImage, drawPreview, onImageFile } from './images.js';

export interface MaskPicker {
  /** The masks for the job (one per style image), or undefined when none is picked. */
  masks(): RgbaImage[] | undefined;
}

/** Wires the mask's drop zone, file input, preview and clear button (index.html's mask-*). */
export function setupMaskPicker(say: (text: string, error?: boolean) => void): MaskPicker {
  const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
  const [zone, input, preview, clear] = [
    $('mask-drop'),
    $<HTMLInputElement>('mask-file'),
    $<HTMLCanvasElement>('mask-preview'),
    $<HTMLButtonElement>('mask-clear'),
  ];
  let mask: RgbaImage | null = null;
  const show = () => {
    clear.disabled = !mask;
    preview.hidden = !mask;
    if (mask) drawPreview(preview, mask);
  };
  onImageFile(zone, input, (file) =>
    decodeImage(file).then(
      (image) => {
        mask = image;
        show();
        say(`Style mask: ${file.name}, ${image.width}×${image.height} (white = where the style goes).`);
      },
      (err: Error) => say(`${file.name}: ${err.message}`, true),
    ),
  );
  clear.addEventListener('click', (e) => {
    e.preventDefault();
    mask = null;
    input.value = '';
    show();
  });
  show();
  return { masks: () => (mask ? [mask] : undefined) };
}
