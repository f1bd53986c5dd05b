// A PNG's chunks, walked without reading past the end: IHDR's fields, the palette and its
// transparency (PLTE, tRNS), and where the compressed pixels (IDAT) lie. The rules are those of
// the pngjs reader this replaces: the CRCs of the chunks it reads are checked, an unknown critical
// chunk is refused, and a palette image needs its PLTE before its IDAT.

export interface PngLayout {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16 (the combinations with the colour type that PNG allows). */
  depth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
  /** Palette entries as RGBA, 4 bytes each (alpha from tRNS, else 255); empty without PLTE. */
  palette: Uint8Array;
  /** The one gray or RGB value (in the image's own depth) that tRNS makes transparent. */
  transparent?: number[];
  /** Where the IDAT chunks' data lie, in order. */
  data: Array<[number, number]>;
}

/** Samples per pixel of each colour type. */
export const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** The bit depths PNG allows for each colour type. */
const DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Chunks whose CRC is checked (those pngjs read); others are skipped unread. */
const CHECKED = new Set(['IHDR', 'PLTE', 'tRNS', 'gAMA', 'IDAT', 'IEND']);

/** The layout of a PNG (signature already checked). Throws an Error saying what is wrong. */
export function pngLayout(bytes: Uint8Array): PngLayout {
  const u32 = (at: number) => ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  const u16 = (at: number) => (bytes[at]! << 8) | bytes[at + 1]!;
  const type = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 33 || type(12) !== 'IHDR' || u32(8) !== 13) throw new Error('no IHDR header');
  const layout: PngLayout = {
    width: u32(16),
    height: u32(20),
    depth: bytes[24]!,
    colorType: bytes[25]!,
    interlaced: bytes[28] === 1,
    palette: new Uint8Array(0),
    data: [],
  };
  const { depth, colorType } = layout;
  if (!DEPTHS[colorType]?.includes(depth)) throw new Error(`colour type ${colorType} with ${depth}-bit samples`);
  if (bytes[26] !== 0 || bytes[27] !== 0 || bytes[28]! > 1)
    throw new Error(`compression, filter or interlace method ${bytes[26]}, ${bytes[27]}, ${bytes[28]}`);
  for (let at = 8; ;) {
    if (at + 12 > bytes.length) throw new Error('the file ends before its IEND chunk');
    const [length, name] = [u32(at), type(at + 4)];
    const start = at + 8;
    if (start + length + 4 > bytes.length) throw new Error(`the file ends inside a ${length}-byte ${name} chunk at byte ${at}`);
    if (CHECKED.has(name) && crc32(bytes, at + 4, start + length) !== u32(start + length))
      throw new Error(`the ${name} chunk at byte ${at} fails its CRC check`);
    if (name === 'IEND') break;
    if (name === 'IDAT') {
      if (colorType === 3 && layout.palette.length === 0) throw new Error('no palette (PLTE) before the pixels');
      layout.data.push([start, start + length]);
    } else if (name === 'PLTE') {
      const entries = Math.floor(length / 3);
      layout.palette = new Uint8Array(entries * 4).fill(255);
      for (let i = 0; i < entries; i++) layout.palette.set(bytes.subarray(start + 3 * i, start + 3 * i + 3), 4 * i);
    } else if (name === 'tRNS') {
      if (colorType === 3) {
        if (layout.palette.length === 0) throw new Error('a transparency chunk (tRNS) before the palette');
        if (length > layout.palette.length / 4)
          throw new Error(`${length} transparent colours for ${layout.palette.length / 4} palette entries`);
        for (let i = 0; i < length; i++) layout.palette[4 * i + 3] = bytes[start + i]!;
      } else if (colorType === 0 || colorType === 2) {
        const count = colorType === 0 ? 1 : 3;
        if (length < 2 * count) throw new Error(`a ${length}-byte transparency chunk (tRNS)`);
        layout.transparent = Array.from({ length: count }, (_, i) => u16(start + 2 * i));
      }
    } else if (name !== 'IHDR' && !(bytes[at + 4]! & 0x20)) {
      throw new Error(`an unknown critical chunk ${JSON.stringify(name)}`);
    }
    at = start + length + 4;
  }
  if (layout.data.length === 0) throw new Error('no IDAT chunk');
  return layout;
}
