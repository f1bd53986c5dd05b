// Random access to a weights file without holding it in memory: converters ask for the bytes they
// need (a header, one tensor) and skip the rest (a 400 MB classifier). Node reads a file
// descriptor; tests and the browser read a Uint8Array. A Cursor walks a source front to back.

import { ConvertError } from './convert-error.js';

export interface ByteSource {
  /** The file's name, for messages. */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`; the caller checks the range against `size` first (see `readAt`). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function memorySource(bytes: Uint8Array, name: string): ByteSource {
  return { name, size: bytes.byteLength, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

/** `length` bytes at `offset`, or a ConvertError naming `what` when the file ends first. */
export async function readAt(source: ByteSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > source.size) {
    throw truncated(source, offset, length, what);
  }
  return source.read(offset, length);
}

function truncated(source: ByteSource, offset: number, length: number, what: string): ConvertError {
  return new ConvertError(
    `${source.name}: truncated or corrupt: ${what} needs bytes ${offset}–${offset + length} but the file has ${source.size}. Download or save it again.`,
  );
}

/** Reads a source front to back in little-endian fields, through a buffer of `chunk` bytes. */
export class Cursor {
  private buffer: Uint8Array = new Uint8Array(0);
  private bufferAt = 0;

  constructor(
    readonly source: ByteSource,
    public offset = 0,
    private readonly chunk = 1 << 16,
  ) {}

  async bytes(length: number, what: string): Promise<Uint8Array> {
    const start = this.offset - this.bufferAt;
    if (start < 0 || start + length > this.buffer.byteLength) {
      const want = Math.min(Math.max(length, this.chunk), this.source.size - this.offset);
      this.buffer = await readAt(this.source, this.offset, Math.max(want, length), what);
      this.bufferAt = this.offset;
    }
    const at = this.offset - this.bufferAt;
    this.offset += length;
    return this.buffer.subarray(at, at + length);
  }

  async u32(what: string): Promise<number> {
    const b = await this.bytes(4, what);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }

  async i32(what: string): Promise<number> {
    const b = await this.bytes(4, what);
    return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
  }

  /** A 64-bit count or size; a ConvertError when it is too large to be one (over 2^53). */
  async u64(what: string): Promise<number> {
    const b = await this.bytes(8, what);
    const value = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER))
      throw new ConvertError(`${this.source.name}: ${what} is ${value}, which no file this size holds; the file is corrupt`);
    return Number(value);
  }

  /** Moves past `length` bytes without reading them; a ConvertError when the file ends first. */
  skip(length: number, what: string): void {
    if (this.offset + length > this.source.size) throw truncated(this.source, this.offset, length, what);
    this.offset += length;
  }
}
