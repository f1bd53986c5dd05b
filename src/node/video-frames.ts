// Frames as files: a numbered pattern (frames/%04d.png, printf style as ffmpeg's) or a plain folder
// of images in, a pattern out. FrameSource/FrameStore (src/video/job.ts) over them, with atomic
// writes, so that a killed run leaves whole frames only and --resume can trust what is there.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { encodeImage } from '../io/image.js';
import type { RgbaImage } from '../style/image-tensor.js';
import { UserError } from '../util/errors.js';
import type { FrameSource, FrameStore } from '../video/job.js';
import { openImage, readImage } from './image-files.js';
import { PreparedWrite } from './safe-write.js';

/** Image files a frames folder or pattern may hold. */
export const FRAME_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** A printf-style numbered name: `prefix` + the number, zero-padded to `digits` + `suffix`. */
export interface FramePattern {
  folder: string;
  prefix: string;
  digits: number;
  suffix: string;
}

/** frames/%04d.png -> its parts; null when `text` has no %d/%0Nd. */
export function parseFramePattern(text: string): FramePattern | null {
  const name = basename(text);
  const matches = [...name.matchAll(/%(0?\d*)d/g)];
  if (matches.length === 0) return null;
  if (matches.length > 1 || /%(?!0?\d*d)/.test(name) || /%/.test(dirname(text)))
    throw new UserError(`${text}: a frames pattern has one number in its file name, such as frames/%04d.png`);
  const m = matches[0]!;
  const suffix = name.slice(m.index! + m[0].length);
  if (!FRAME_EXTENSIONS.some((ext) => suffix.toLowerCase().endsWith(ext)))
    throw new UserError(`${text}: frames must be ${FRAME_EXTENSIONS.join(', ')} files, such as frames/%04d.png`);
  return { folder: dirname(text), prefix: name.slice(0, m.index), digits: Number(m[1] || '1'), suffix };
}

/** The file of frame `number` (as numbered in the name, not an index). */
export function framePath(pattern: FramePattern, number: number): string {
  return join(pattern.folder, `${pattern.prefix}${String(number).padStart(pattern.digits, '0')}${pattern.suffix}`);
}

/** The input frames, in order: a pattern's files by their number, or a folder's images by name (numbers compared as numbers). */
export function listInputFrames(input: string): string[] {
  const pattern = parseFramePattern(input);
  const folder = pattern ? pattern.folder : input;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${input}: cannot read the folder ${folder} (${code === 'ENOENT' ? 'no such folder' : code})`);
  }
  let frames: string[];
  if (pattern) {
    const re = new RegExp(`^${escape(pattern.prefix)}(\\d{${pattern.digits},})${escape(pattern.suffix)}$`);
    frames = names
      .map((n) => ({ n, m: re.exec(n) }))
      .filter((x) => x.m !== null)
      .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
      .map((x) => x.n);
  } else {
    const collator = new Intl.Collator('en', { numeric: true });
    frames = names.filter((n) => FRAME_EXTENSIONS.includes(extname(n).toLowerCase()) && !n.startsWith('.')).sort(collator.compare);
  }
  frames = frames.map((n) => join(folder, n)).filter((p) => statSync(p).isFile());
  if (frames.length === 0)
    throw new UserError(
      `${input}: no frames in it; give ${pattern ? 'a pattern its files match' : `a folder of ${FRAME_EXTENSIONS.join('/')} images`}`,
    );
  return frames;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Frames read from files, all of the first frame's size. */
export class FileFrameSource implements FrameSource {
  private size: { width: number; height: number } | null = null;

  constructor(
    readonly paths: readonly string[],
    private readonly maxPixels?: number,
  ) {}

  get count(): number {
    return this.paths.length;
  }

  /**
   * Every frame's header read (not decoded) before any GPU work: a file that is not an image, or
   * of another size than the first, is refused at once, not hours into the run. Returns the size.
   */
  checkAll(): { width: number; height: number } {
    for (const path of this.paths) this.checkSize(path, openImage(path, { maxPixels: this.maxPixels }));
    return this.size!;
  }

  async read(index: number): Promise<RgbaImage> {
    const path = this.paths[index];
    if (path === undefined) throw new RangeError(`frame ${index} of ${this.paths.length}`);
    const image = readImage(path, { maxPixels: this.maxPixels });
    // The first frame's size, from its header when it was not read first (a resumed run).
    if (!this.size) {
      const first = index === 0 ? image : openImage(this.paths[0]!, { maxPixels: this.maxPixels });
      this.size = { width: first.width, height: first.height };
    }
    this.checkSize(path, image);
    return { width: image.width, height: image.height, data: image.data };
  }

  private checkSize(path: string, image: { width: number; height: number }): void {
    const { width, height } = (this.size ??= { width: image.width, height: image.height });
    if (image.width !== width || image.height !== height)
      throw new UserError(
        `${path} is ${image.width}×${image.height}, but the first frame (${this.paths[0]}) is ${width}×${height}; every frame must be the same size (remove it, or scale the frames alike)`,
      );
  }
}

/** Stylised frames as files of a pattern, numbered from `first` (1, as ffmpeg's image2 muxer); each written whole or not at all. */
export class PatternFrameStore implements FrameStore {
  constructor(
    readonly pattern: FramePattern,
    private readonly quality = 92,
    readonly first = 1,
  ) {}

  path(index: number): string {
    return framePath(this.pattern, this.first + index);
  }

  async read(index: number): Promise<RgbaImage | null> {
    const path = this.path(index);
    if (!existsSync(path)) return null;
    const { width, height, data } = readImage(path);
    return { width, height, data };
  }

  async write(index: number, image: RgbaImage): Promise<void> {
    const path = this.path(index);
    PreparedWrite.replace(path, encodeImage(path, image, this.quality));
  }

  /** Indices (of `count`) whose frame files exist already. */
  existing(count: number): number[] {
    const found: number[] = [];
    for (let i = 0; i < count; i++) if (existsSync(this.path(i))) found.push(i);
    return found;
  }
}

/** Refuses an output frame that would replace an input file (`inputs`: paths; the same file by any name). */
export function assertFramesNotInputs(store: PatternFrameStore, count: number, inputs: readonly string[]): void {
  const ids = new Map<string, string>();
  for (const input of inputs) {
    const id = fileId(input);
    if (id) ids.set(id, input);
  }
  for (let i = 0; i < count; i++) {
    const id = fileId(store.path(i));
    const input = id && ids.get(id);
    if (input)
      throw new UserError(
        `the output frame ${store.path(i)} is the input ${resolve(input) === resolve(store.path(i)) ? '' : `${input} (through a link) `}itself; refusing to write over it: choose another -o`,
      );
  }
}

function fileId(path: string): string | null {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}
