import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage, encodeImage, exifOrientation, readImage, writeImage } from '../src/io/image.js';
import { REPO_ROOT } from './helpers/shared.js';

const fixture = (name: string) => join(REPO_ROOT, 'test', 'fixtures', name);
const work = mkdtempSync(join(tmpdir(), 'wgpu-style-img-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const pixel = (img: { width: number; data: Uint8Array }, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

/** A JPEG with an EXIF APP1 segment holding only the Orientation tag. */
function withOrientation(jpegBytes: Uint8Array, orientation: number): Uint8Array {
  const tiff = [0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const app1 = [0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
  return Uint8Array.from([...jpegBytes.subarray(0, 2), ...app1, ...jpegBytes.subarray(2)]);
}

describe('reading images', () => {
  it('reads PNG: 8-bit RGB, 16-bit, gray, palette; composites alpha over white', () => {
    for (const name of ['rgb8.png', 'rgb16.png', 'gray.png', 'palette.png', 'alpha.png']) {
      const img = readImage(fixture(name));
      expect([img.width, img.height], name).toEqual([8, 6]);
      expect(img.data.length).toBe(8 * 6 * 4);
      expect(pixel(img, 0, 0)[3], name).toBe(255);
    }
    const red = pixel(readImage(fixture('rgb16.png')), 0, 0);
    expect(red[0]).toBeGreaterThan(200);
    const gray = pixel(readImage(fixture('gray.png')), 0, 0);
    expect(gray[0]).toBe(gray[1]);
    expect(gray[1]).toBe(gray[2]);
    // 50 % alpha over white: the red top row becomes pink.
    const pink = pixel(readImage(fixture('alpha.png')), 0, 0);
    expect(pink[0]).toBeGreaterThan(240);
    expect(pink[1]).toBeGreaterThan(100);
  });

  it('reads baseline, progressive and grayscale JPEG', () => {
    for (const name of ['plain.jpg', 'progressive.jpg', 'gray.jpg']) {
      const img = readImage(fixture(name));
      expect([img.width, img.height], name).toEqual([16, 12]);
    }
    const yellow = pixel(readImage(fixture('progressive.jpg')), 8, 0);
    expect(yellow[0]).toBeGreaterThan(200);
    expect(yellow[2]).toBeLessThan(60);
  });

  it('honours the EXIF orientation of a JPEG', () => {
    // 4×2 image: red everywhere except a blue top-left pixel.
    const data = new Uint8Array(4 * 2 * 4).fill(255);
    for (let i = 0; i < 8; i++) data.set(i === 0 ? [0, 0, 255, 255] : [255, 0, 0, 255], i * 4);
    const plain = new Uint8Array(jpeg.encode({ width: 4, height: 2, data: Buffer.from(data) }, 100).data);
    const isBlue = (p: number[]) => p[2]! > 150 && p[0]! < 100;
    expect(exifOrientation(plain)).toBe(1);
    const cases: Array<[number, number, number, [number, number]]> = [
      [1, 4, 2, [0, 0]],
      [3, 4, 2, [3, 1]],
      [6, 2, 4, [1, 0]], // rotate 90° clockwise: the top-left corner goes top-right
      [8, 2, 4, [0, 3]], // rotate 90° anticlockwise: top-left goes bottom-left
    ];
    for (const [o, w, h, [bx, by]] of cases) {
      const bytes = withOrientation(plain, o);
      expect(exifOrientation(bytes)).toBe(o);
      const img = decodeImage(bytes, `o${o}.jpg`);
      expect([img.width, img.height], `orientation ${o}`).toEqual([w, h]);
      expect(isBlue(pixel(img, bx, by)), `orientation ${o} blue at ${bx},${by}`).toBe(true);
    }
  });

  it('names the file when it is missing, not an image, or a corrupt JPEG', () => {
    expect(() => readImage(join(work, 'nope.jpg'))).toThrow(/nope\.jpg: cannot read the image \(no such file\)/);
    writeFileSync(join(work, 'notes.txt'), 'hello');
    expect(() => readImage(join(work, 'notes.txt'))).toThrow(/notes\.txt: cannot decode the image \(not a JPEG or PNG file\)/);
    writeFileSync(join(work, 'broken.jpg'), Uint8Array.from([0xff, 0xd8, 0xff, 0xdb, 0, 4, 1, 2, 3, 4, 5]));
    expect(() => readImage(join(work, 'broken.jpg'))).toThrow(/broken\.jpg: cannot decode the image/);
  });
});

describe('writing images', () => {
  const img = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => (i % 4 === 3 ? 255 : i * 10)) };

  it('writes PNG losslessly and JPEG by extension, through a temporary file', () => {
    writeImage(join(work, 'a.png'), img);
    expect(Array.from(readImage(join(work, 'a.png')).data)).toEqual(Array.from(img.data));
    writeImage(join(work, 'a.jpg'), img, 90);
    expect(readImage(join(work, 'a.jpg')).width).toBe(3);
    expect(() => encodeImage('a.gif', img)).toThrow(/unknown image type "\.gif"/);
  });
});
