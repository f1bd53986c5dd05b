// JPEG through jpeg-js, for what the streaming decoder (jpeg-decode.ts) leaves to it: progressive
// files, and sequential ones in several scans or with segments it does not read the way jpeg-js
// does. Bounded by bytes: jpeg-js holds the whole image several times over: every
// 8×8 block of every component (padded to whole MCUs) as an Int32Array of 64 (256 bytes; ~530
// measured with the object around it), each component's samples, a packed copy of all of them,
// then the RGBA output: ~32 bytes a pixel for 4:4:4 colour. So a file is refused, before
// jpeg-js allocates anything, when that would exceed its output by more than JPEG_JS_MARGIN_BYTES
// (a flat 2.3 MB 14000×14000 JPEG took 6.2 GB and 88 s before this bound).

import jpeg from 'jpeg-js';
import type { RgbaImage } from '../style/image-tensor.js';
import { UserError } from '../util/errors.js';
import { SOF_MARKERS, type JpegFrame } from './jpeg-segments.js';

/** What jpeg-js may hold beyond a JPEG's RGBA output (512 MiB: a 12-megapixel 4:4:4 photo needs ~370). */
export const JPEG_JS_MARGIN_BYTES = 512 * 2 ** 20;
/** Resident bytes per 8×8 block jpeg-js holds (an Int32Array of 64 and its object), measured ~530. */
const BYTES_PER_BLOCK = 560;

interface JpegJsBytes {
  /** What the typed arrays take, as jpeg-js counts them against its maxMemoryUsageInMB. */
  counted: number;
  /** What they take resident, objects included: the blocks at BYTES_PER_BLOCK. */
  resident: number;
}

/** The bytes jpeg-js allocates for `frame` beyond its RGBA output. */
function jpegJsBytes({ width, height, sampling }: JpegFrame): JpegJsBytes {
  const maxH = Math.max(...sampling.map((s) => s.h));
  const maxV = Math.max(...sampling.map((s) => s.v));
  const [mcusPerLine, mcusPerColumn] = [Math.ceil(width / 8 / maxH), Math.ceil(height / 8 / maxV)];
  let [blocks, samples] = [0, width * height * sampling.length]; // the packed copy
  for (const { h, v } of sampling) {
    blocks += mcusPerLine * h * mcusPerColumn * v;
    samples += Math.ceil((Math.ceil(width / 8) * h) / maxH) * 8 * Math.ceil((Math.ceil(height / 8) * v) / maxV) * 8;
  }
  return { counted: blocks * 256 + samples, resident: blocks * BYTES_PER_BLOCK + samples };
}

/** Decodes with jpeg-js, or refuses (UserError) a file that would need more than the margin. */
export function decodeWithJpegJs(bytes: Uint8Array, frame: JpegFrame, name: string): RgbaImage {
  const { counted, resident } = jpegJsBytes(frame);
  const mib = (n: number) => Math.ceil(n / 2 ** 20);
  if (resident > JPEG_JS_MARGIN_BYTES) {
    const coding = SOF_MARKERS[frame.marker];
    throw new UserError(
      `${name}: cannot decode the image: this ${frame.width}×${frame.height} ${coding} JPEG would need about ${mib(resident)} MiB ` +
        `beyond its pixels to decode, over the ${mib(JPEG_JS_MARGIN_BYTES)} MiB limit; save it as a baseline JPEG or as PNG, or make it smaller`,
    );
  }
  const output = frame.width * frame.height * 4;
  const decoded = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: (frame.width * frame.height + 1) / 1e6, // + 1: never refuse it over rounding
    // Tables and a little slack beyond what this frame needs: a second frame header trips it.
    maxMemoryUsageInMB: mib(counted + output) + 16,
  });
  return { width: decoded.width, height: decoded.height, data: decoded.data };
}
