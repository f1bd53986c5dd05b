// Any weights file wgpu-style reads, told by its first bytes rather than its name: our .bin, a
// Keras HDF5 file, a PyTorch .pth (zip or legacy), an MXNet .params, or a TF.js model.json.
// PyTorch and MXNet files are read through a file descriptor, a tensor at a time.

import { open } from 'node:fs/promises';
import { closeSync, readSync } from 'node:fs';
import type { ByteSource } from '../io/weights/bytes.js';
import { MAGIC } from '../io/weights/format.js';
import { HDF5_SIGNATURE, superblockOffsets } from '../io/weights/hdf5.js';
import { ConvertError } from '../io/weights/convert-error.js';
import { convertMxnet, isMxnetParams } from '../io/weights/mxnet.js';
import { convertTorch, isLegacyTorch } from '../io/weights/torch.js';
import { isZip } from '../io/weights/zip.js';
import type { VggWeights } from '../vgg/index.js';
import { convertKerasH5 } from './keras-h5.js';
import { fileKind, NotRegularFileError, READ_NONBLOCK } from './regular-file.js';
import { convertTfjsFolder, openWeightsFile, WEIGHTS_FILE_FIX } from './weights-files.js';

export type WeightsFormat = 'bin' | 'keras-h5' | 'pytorch' | 'mxnet' | 'tfjs';

export const FORMAT_NAMES: Record<WeightsFormat, string> = {
  bin: 'wgpu-style .bin',
  'keras-h5': 'Keras HDF5',
  pytorch: 'PyTorch .pth',
  mxnet: 'MXNet .params',
  tfjs: 'TF.js model.json',
};

/** The format of the file at `path` from its first bytes; a ConvertError for a file that is none of them. */
export function sniffFormat(path: string): WeightsFormat {
  let head: Uint8Array;
  let size = 0;
  const at = (offset: number, bytes: Uint8Array) => bytes.every((b, i) => head[offset + i] === b);
  const { fd } = openWeightsFile(path); // a FIFO is refused here, before anything waits on it
  try {
    head = new Uint8Array(4096);
    size = readSync(fd, head, 0, head.byteLength, 0);
    head = head.subarray(0, size);
  } catch (err) {
    throw new ConvertError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    closeSync(fd);
  }
  if (at(0, new TextEncoder().encode(MAGIC))) return 'bin';
  if (superblockOffsets(Math.min(size, 4096)).some((offset) => at(offset, HDF5_SIGNATURE))) return 'keras-h5';
  if (isZip(head) || isLegacyTorch(head)) return 'pytorch';
  if (isMxnetParams(head)) return 'mxnet';
  if (/^\s*\{/.test(new TextDecoder().decode(head.subarray(0, 64)))) return 'tfjs';
  throw new ConvertError(
    `${path}: not a weights file wgpu-style reads; give a .bin, a PyTorch .pth, an MXNet .params, a Keras .h5 or a TF.js model.json`,
  );
}

/** Converts any supported weights file (not .bin) to VggWeights: the convs up to `upTo`, default all. */
export async function convertWeightsFile(path: string, upTo?: number): Promise<VggWeights> {
  const format = sniffFormat(path);
  switch (format) {
    case 'bin':
      throw new ConvertError(`${path}: already a wgpu-style .bin file; use it as it is (see \`wgpu-style weights info\`)`);
    case 'keras-h5':
      return convertKerasH5(path, { upTo });
    case 'tfjs':
      return convertTfjsFolder(path, upTo);
    case 'pytorch':
    case 'mxnet': {
      const source = await openFileSource(path);
      try {
        return await (format === 'pytorch' ? convertTorch : convertMxnet)(source, { upTo });
      } finally {
        await source.close();
      }
    }
  }
}

/** A ByteSource over a file descriptor of a regular file (a FIFO or folder is refused at once); close it when done. */
export async function openFileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  let handle;
  try {
    handle = await open(path, READ_NONBLOCK);
  } catch (err) {
    throw new ConvertError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new NotRegularFileError(path, fileKind(stat), WEIGHTS_FILE_FIX);
  }
  const { size } = stat;
  return {
    name: path,
    size,
    async read(offset, length) {
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, offset + done);
        if (bytesRead === 0) throw new ConvertError(`${path}: the file got shorter while it was read (at byte ${offset + done})`);
        done += bytesRead;
      }
      return bytes;
    },
    close: () => handle.close(),
  };
}
