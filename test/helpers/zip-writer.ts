// Writes zip archives for tests (MXNet's model zoo zips its .params files): stored or deflated
// entries, local headers, the central directory and its end record, as zip's specification has them.

import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/io/weights/zip.js';
import { concat } from './mxnet-params.js';

export function zipFile(entries: ReadonlyArray<{ name: string; data: Uint8Array; deflate?: boolean }>): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const { name, data, deflate } of entries) {
    const body = deflate ? new Uint8Array(deflateRawSync(data, { level: 1 })) : data;
    const fields = { method: deflate ? 8 : 0, crc: crc32(data), compressed: body.byteLength, size: data.byteLength };
    const nameBytes = new TextEncoder().encode(name);
    const local = header(30, [
      [0, 0x04034b50, 4],
      [4, 20, 2],
      [8, fields.method, 2],
      [14, fields.crc, 4],
      [18, fields.compressed, 4],
      [22, fields.size, 4],
      [26, nameBytes.byteLength, 2],
    ]);
    const central = header(46, [
      [0, 0x02014b50, 4],
      [4, 20, 2],
      [6, 20, 2],
      [10, fields.method, 2],
      [16, fields.crc, 4],
      [20, fields.compressed, 4],
      [24, fields.size, 4],
      [28, nameBytes.byteLength, 2],
      [42, offset, 4],
    ]);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += local.byteLength + nameBytes.byteLength + body.byteLength;
  }
  const directory = concat(centrals);
  const end = header(22, [
    [0, 0x06054b50, 4],
    [8, entries.length, 2],
    [10, entries.length, 2],
    [12, directory.byteLength, 4],
    [16, offset, 4],
  ]);
  return concat([...locals, directory, end]);
}

/** `length` bytes with little-endian fields [offset, value, width] set. */
function header(length: number, fields: Array<[number, number, 2 | 4]>): Uint8Array {
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  for (const [at, value, width] of fields) width === 2 ? view.setUint16(at, value, true) : view.setUint32(at, value >>> 0, true);
  return bytes;
}
