import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PIXELS, decodeImage, encodeImage, exifOrientation } from '../src/io/image.js';
import { readImage, writeImage } from '../src/node/image-files.js';
import { planJob } from '../src/plan/plan-job.js';
import { UserError } from '../src/util/errors.js';
import { cli } from './helpers/cli.js';
import { jpegWithExif, jpegWithSize, pngClaiming, pngWithSize, tiffBlock } from './helpers/hostile-images.js';
import { REPO_ROOT } from './helpers/shared.js';

const fixture = (name: string) => join(REPO_ROOT, 'test', 'fixtures', name);
const work = mkdtempSync(join(tmpdir(), 'wgpu-style-img-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const pixel = (img: { width: number; data: Uint8Array }, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

const fixtureBytes = (name: string) => readFileSync(fixture(name));
/** A JPEG with an EXIF APP1 segment holding only the Orientation tag. */
const withOrientation = (jpegBytes: Uint8Array, orientation: number) => jpegWithExif(jpegBytes, tiffBlock(orientation));

/** What `fn` throws (failing the test when it returns), and how long it took. */
function thrown(fn: () => unknown): { error: Error; ms: number } {
  const start = performance.now();
  try {
    fn();
  } catch (error) {
    return { error: error as Error, ms: performance.now() - start };
  }
  throw new Error('expected an error');
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

describe('hostile images are refused from the header, before decoding', () => {
  it('refuses a PNG claiming 20000×20000 in 66 bytes and a JPEG claiming 19000×19000 in 198, in milliseconds', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(200_000_000);
    const png = thrown(() => decodeImage(pngClaiming(20000, 20000, 1), 'bomb.png'));
    expect(png.error).toBeInstanceOf(UserError);
    expect(png.error.message).toBe(
      'bomb.png: the image is 20000×20000 pixels (400 megapixels), over the limit of 200 megapixels; if the file is genuine, raise the limit with --max-megapixels',
    );
    const jpg = thrown(() => decodeImage(jpegWithSize(fixtureBytes('gray.jpg'), 19000, 19000), 'bomb.jpg'));
    expect(jpg.error.message).toMatch(
      /^bomb\.jpg: the image is 19000×19000 pixels \(361 megapixels\), over the limit of 200 megapixels; .*--max-megapixels/,
    );
    expect(Math.max(png.ms, jpg.ms)).toBeLessThan(200);
  });

  it('takes the limit from maxPixels', () => {
    const plain = fixtureBytes('plain.jpg'); // 16×12 = 192 pixels
    expect(thrown(() => decodeImage(plain, 'plain.jpg', { maxPixels: 191 })).error.message).toMatch(
      /16×12 pixels \(0\.000192 megapixels\), over the limit of 0\.000191 megapixels/,
    );
    expect(decodeImage(plain, 'plain.jpg', { maxPixels: 192 }).width).toBe(16);
    // Over the default limit, but not over 1000 megapixels: then it is refused for what it is.
    expect(() => decodeImage(pngClaiming(20000, 20000, 1), 'p.png', { maxPixels: 1e9 })).toThrow(
      /p\.png: cannot decode the image: the PNG file is damaged/,
    );
  });

  it('refuses a file too short to hold the pixels its header claims, under the limit', () => {
    for (const [name, bytes] of [
      ['short.png', pngClaiming(14000, 14000, 1)],
      ['short.jpg', jpegWithSize(fixtureBytes('plain.jpg'), 14000, 14000)],
      ['wide.png', pngWithSize(fixtureBytes('rgb8.png'), 9, 6)],
    ] as const) {
      const { error, ms } = thrown(() => decodeImage(bytes, name));
      expect(error.message, name).toMatch(
        new RegExp(
          `^${name.replace('.', '\\.')}: cannot decode the image: the (PNG|JPEG) file is damaged \\(truncated or corrupt: .*(cannot hold|inflate to|do not fit the size in the header)`,
        ),
      );
      expect(ms, name).toBeLessThan(200);
    }
  });

  it('refuses an interlaced PNG whose pixels inflate far past what its size needs', () => {
    expect(decodeImage(pngClaiming(3, 3, 33, true), 'ok.png').width).toBe(3);
    const bomb = pngClaiming(1, 1, 64 << 20, true);
    const { error, ms } = thrown(() => decodeImage(bomb, 'zip-bomb.png'));
    expect(error.message).toMatch(/zip-bomb\.png: .*damaged .*inflate to more than the 4 bytes a 1×1 image needs/);
    expect(ms).toBeLessThan(200);
  });

  it('refuses a zero width or height', () => {
    for (const [name, bytes] of [
      ['zero.png', pngWithSize(fixtureBytes('rgb8.png'), 0, 6)],
      ['zero.jpg', jpegWithSize(fixtureBytes('plain.jpg'), 16, 0)],
    ] as const) {
      expect(() => decodeImage(bytes, name)).toThrow(
        /the (PNG|JPEG) file is damaged \(truncated or corrupt: the header says the image is (0×6|16×0) pixels\)/,
      );
    }
  });
});

describe('broken EXIF blocks', () => {
  it('a valid JPEG whose EXIF block is broken decodes with orientation 1, as ImageMagick and PIL do', () => {
    const plain = fixtureBytes('plain.jpg');
    const make = (tiff: number[]) => tiff.map((b, i) => (i === 10 ? 0x0f : b)); // first entry: Make, not Orientation
    const broken: Record<string, Uint8Array> = {
      'IFD offset outside the file': jpegWithExif(plain, tiffBlock(6, { ifdOffset: 0x7fff0000 })),
      'IFD offset past the block, inside the file': jpegWithExif(plain, tiffBlock(6, { ifdOffset: 40 })),
      'entry count far too large': jpegWithExif(plain, make(tiffBlock(6, { entries: 65535 }))),
      'TIFF header cut short': jpegWithExif(plain, tiffBlock(6).slice(0, 6)),
      'IFD cut inside its first entry': jpegWithExif(plain, tiffBlock(6).slice(0, 16)),
      'no byte-order mark': jpegWithExif(
        plain,
        tiffBlock(6).map((b, i) => (i < 2 ? 0x41 : b)),
      ),
      'orientation 9': jpegWithExif(plain, tiffBlock(9)),
      'empty Exif block': jpegWithExif(plain, []),
    };
    for (const [what, bytes] of Object.entries(broken)) {
      expect(exifOrientation(bytes), what).toBe(1);
      const img = decodeImage(bytes, 'broken-exif.jpg');
      expect([img.width, img.height], what).toEqual([16, 12]);
    }
  });

  it('exifOrientation never throws, whatever the bytes', () => {
    const withExif = withOrientation(fixtureBytes('plain.jpg'), 6);
    for (let cut = 0; cut <= withExif.length; cut++) expect(() => exifOrientation(withExif.subarray(0, cut))).not.toThrow();
    expect(exifOrientation(withExif.subarray(0, 40))).toBe(6); // the tag is read before the cut
  });
});

describe('damaged and foreign files', () => {
  it('calls a truncated or corrupt JPEG or PNG damaged, not "not a JPEG or PNG"', () => {
    const cases: Array<[string, Uint8Array]> = [];
    for (const name of ['plain.jpg', 'progressive.jpg', 'rgb8.png', 'palette.png']) {
      const bytes = fixtureBytes(name);
      for (const cut of [12, 40, 100, bytes.length - 40, bytes.length - 2]) cases.push([`${name} cut at ${cut}`, bytes.subarray(0, cut)]);
    }
    const corrupt = Buffer.from(fixtureBytes('rgb8.png'));
    corrupt[corrupt.indexOf('IDAT') + 8]! ^= 0x40;
    cases.push(['rgb8.png with a flipped bit in IDAT', corrupt]);
    for (const [what, bytes] of cases) {
      const { error } = thrown(() => decodeImage(bytes, 'photo.img'));
      expect(error, what).toBeInstanceOf(UserError);
      expect(error.message, what).toMatch(
        /^photo\.img: cannot decode the image: the (JPEG|PNG) file is damaged \(truncated or corrupt: .+\); re-export or re-download it$/,
      );
    }
  });

  it('says "not a JPEG or PNG file" only for other files, and lists the supported formats', () => {
    for (const bytes of [Buffer.from('hello'), Buffer.from('GIF89a\x01\x00\x01\x00'), new Uint8Array(0), Uint8Array.from([0x89, 0x50])]) {
      expect(() => decodeImage(bytes, 'x.gif')).toThrow(
        'x.gif: cannot decode the image (not a JPEG or PNG file); supported formats: JPEG (baseline or progressive) and PNG; convert the image to one of them',
      );
    }
  });

  it('names an arithmetic-coded JPEG as unsupported rather than damaged', () => {
    const bytes = Buffer.from(fixtureBytes('plain.jpg'));
    bytes[bytes.indexOf(Buffer.from([0xff, 0xc0])) + 1] = 0xc9;
    expect(() => decodeImage(bytes, 'arith.jpg')).toThrow(
      /arith\.jpg: cannot decode the image: it uses a JPEG feature this reader lacks \(arithmetic-coded JPEG\)/,
    );
  });
});

describe('reading image files', () => {
  it('refuses a folder, a device and a FIFO before reading, at once', () => {
    expect(() => readImage(work)).toThrow(
      `${work}: cannot read the image (it is a folder, not a regular file); give the path of a JPEG or PNG file`,
    );
    const { error, ms } = thrown(() => readImage('/dev/zero'));
    expect(error.message).toBe(
      '/dev/zero: cannot read the image (it is a device, not a regular file); give the path of a JPEG or PNG file',
    );
    expect(ms).toBeLessThan(200);
    const fifo = join(work, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    expect(() => readImage(fifo)).toThrow(/pipe\.png: cannot read the image \(it is a FIFO \(named pipe\), not a regular file\)/);
  });

  it('refuses a file over the size limit before reading it', () => {
    const huge = join(work, 'huge.png');
    writeFileSync(huge, '');
    truncateSync(huge, 1.5 * 2 ** 30); // sparse: no disk used
    const { error, ms } = thrown(() => readImage(huge));
    expect(error.message).toBe(
      `${huge}: cannot read the image (the file is 1.5 GiB, over the 1 GiB limit for image files); use a smaller or better-compressed image`,
    );
    expect(ms).toBeLessThan(200);
    expect(() => readImage(fixture('plain.jpg'), { maxFileBytes: 100 })).toThrow(
      /plain\.jpg: cannot read the image \(the file is 361 bytes, over the 100 bytes limit for image files\)/,
    );
    expect(readImage(fixture('plain.jpg'), { maxPixels: 192 }).width).toBe(16);
    expect(() => readImage(fixture('plain.jpg'), { maxPixels: 191 })).toThrow(/plain\.jpg: the image is 16×12 pixels/);
  });
});

describe('an extreme-aspect content image is named, with its shape, where it makes a scale too thin', () => {
  it('planJob names the file, its size and ratio, and the size that would do; a normal image keeps the usual message', () => {
    const plan = (w: number, h: number, settings: Parameters<typeof planJob>[0]) => () =>
      planJob(settings, w, h, 1, { contentName: 'wide.png' });
    expect(plan(4000, 10, { size: 64, scales: 1 })).toThrow(
      'size makes a 64×1 scale of wide.png (4000×10 pixels, 400:1), too small for layer 28, which needs at least 16 px on the short side: ' +
        'crop the image to a less elongated shape, or use a size of at least 6400',
    );
    expect(plan(10, 4000, {})).toThrow(/^size and scales make a 1×\d+ scale of wide\.png \(10×4000 pixels, 400:1\), .* and one scale$/);
    expect(plan(8, 6, { size: 8, scales: 1 })).toThrow(/^size and scales make a 8×6 scale, too small for layer 28/);
  });

  it('the CLI names the content file in that one line (exit 2), before any GPU work', async () => {
    const wide = join(work, 'wide.png');
    writeImage(wide, { width: 4000, height: 10, data: new Uint8Array(4000 * 10 * 4).fill(200) });
    const result = await cli([wide, fixture('plain.jpg'), '-o', join(work, 'out.png'), '--offline'], { cwd: work });
    expect(result.code).toBe(2);
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((l) => !/artificially reduced/.test(l)),
    ).toEqual([
      expect.stringMatching(
        new RegExp(`^wgpu-style: --size and --scales make a \\d+×1 scale of ${wide.replace(/[.]/g, '\\.')} \\(4000×10 pixels, 400:1\\)`),
      ),
    ]);
  });
});
