// A JPEG's marker segments, walked without reading past the end: the frame header (size,
// coding, components and their sampling) and the EXIF orientation. Shared by the decoders
// (image.ts picks one by what the frame says).

/** Thrown for a valid file using something the decoders cannot read. */
export class Unsupported extends Error {}

/** Frame header (SOFn) markers and the coding each announces; jpeg-js reads the first three. */
export const SOF_MARKERS: Record<number, string> = {
  0xc0: 'baseline',
  0xc1: 'extended',
  0xc2: 'progressive',
  0xc3: 'lossless',
  0xc5: 'hierarchical',
  0xc6: 'hierarchical progressive',
  0xc7: 'hierarchical lossless',
  0xc9: 'arithmetic-coded',
  0xca: 'arithmetic-coded progressive',
  0xcb: 'arithmetic-coded lossless',
  0xcd: 'hierarchical arithmetic-coded',
  0xce: 'hierarchical arithmetic-coded progressive',
  0xcf: 'hierarchical arithmetic-coded lossless',
};

export interface JpegFrame {
  width: number;
  height: number;
  /** The SOFn marker (0xc0 baseline, 0xc2 progressive, …). */
  marker: number;
  sampling: Array<{ h: number; v: number }>;
}

/** The first frame header (SOFn) of a JPEG: size and sampling factors. Throws if there is none. */
export function jpegFrame(bytes: Uint8Array): JpegFrame {
  for (const { marker, start, end } of jpegSegments(bytes)) {
    if (!(marker in SOF_MARKERS)) continue;
    const count = end - start >= 6 ? bytes[start + 5]! : 0;
    if (count < 1 || end - start < 6 + 3 * count) throw new Error(`a frame header of ${end - start} bytes for ${count} components`);
    if (count > 4) throw new Unsupported(`${count} colour components`);
    const sampling = [];
    for (let c = 0; c < count; c++) {
      const hv = bytes[start + 7 + 3 * c]!;
      const [h, v] = [hv >> 4, hv & 15];
      if (h < 1 || h > 4 || v < 1 || v > 4) throw new Error(`sampling factors ${h}×${v}`);
      sampling.push({ h, v });
    }
    return { marker, height: (bytes[start + 1]! << 8) | bytes[start + 2]!, width: (bytes[start + 3]! << 8) | bytes[start + 4]!, sampling };
  }
  throw new Error('no frame header (SOF) before the image data');
}

/**
 * A JPEG's marker segments from byte `from` (after SOI by default), up to and including the first
 * SOS or EOI, each with the bounds of its payload (none for a stand-alone marker). Never reads past
 * the end; throws at a segment that is malformed or cut off.
 */
export function* jpegSegments(bytes: Uint8Array, from = 2): Generator<{ marker: number; start: number; end: number }> {
  let at = from;
  for (;;) {
    if (bytes[at] !== 0xff) throw new Error(at >= bytes.length ? 'the file ends inside its headers' : `no marker at byte ${at}`);
    while (bytes[at + 1] === 0xff) at++; // fill bytes
    if (at + 2 > bytes.length) throw new Error('the file ends inside its headers');
    const marker = bytes[at + 1]!;
    if (marker === 0xd9) {
      yield { marker, start: at + 2, end: at + 2 };
      return;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      yield { marker, start: at + 2, end: at + 2 }; // stand-alone markers
      at += 2;
      continue;
    }
    if (marker === 0x00 || marker === 0xd8) throw new Error(`unexpected marker ff${marker.toString(16).padStart(2, '0')} at byte ${at}`);
    if (at + 4 > bytes.length) throw new Error('the file ends inside its headers');
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2) throw new Error(`segment length ${length} at byte ${at}`);
    if (at + 2 + length > bytes.length) throw new Error(`the file ends inside its headers (a ${length}-byte segment at byte ${at})`);
    yield { marker, start: at + 4, end: at + 2 + length };
    if (marker === 0xda) return;
    at += 2 + length;
  }
}

/** The EXIF Orientation tag (1–8) of a JPEG; 1 when absent or unreadable. Never throws. */
export function exifOrientation(jpegBytes: Uint8Array): number {
  try {
    for (const { marker, start, end } of jpegSegments(jpegBytes)) {
      const exif = [0x45, 0x78, 0x69, 0x66, 0, 0].every((b, i) => jpegBytes[start + i] === b);
      if (marker === 0xe1 && end - start >= 6 && exif) return tiffOrientation(jpegBytes.subarray(start + 6, end));
    }
  } catch {
    // A malformed JPEG: the decoder says what is wrong with it.
  }
  return 1;
}

/** The Orientation tag of a TIFF header's first IFD, every offset checked against the block. */
function tiffOrientation(tiff: Uint8Array): number {
  if (tiff.length < 8) return 1;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 1;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return 1;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries && ifd + 2 + (i + 1) * 12 <= tiff.length; i++) {
    const entry = ifd + 2 + i * 12;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    const type = view.getUint16(entry + 2, little); // SHORT as it should be, LONG from a few writers
    const value = type === 3 ? view.getUint16(entry + 8, little) : type === 4 ? view.getUint32(entry + 8, little) : 0;
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}
