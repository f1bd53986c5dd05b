// Keras HDF5 weights (vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5) -> VggWeights, read
// with h5wasm. Layers are found through the `weight_names` attributes, which name the datasets
// in both the new ("block1_conv1/kernel:0") and the old ("block1_conv1_W_1:0") Keras styles.
// Before HDF5 sees a file, its signature and recorded size are checked (a cut download is the
// common case); every dataset's type and shape are checked before its data is read.

import { closeSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { clip, show } from '../util/quote.js';
import { HDF5_SIGNATURE, recordedSize, SUPERBLOCK_HEAD_BYTES, superblockOffsets } from '../io/weights/hdf5.js';
import { checkVgg19 } from '../io/weights/architecture.js';
import { ConvertError } from '../io/weights/convert-error.js';
import { checkBias, convsUpTo, hwioToOihw, kerasLayout, kerasWeights } from '../io/weights/keras.js';
import { kerasName, type VggWeights, type WeightTensor } from '../vgg/index.js';
import { openWeightsFile } from './weights-files.js';

/** The longest one HDF5 call may take: the largest VGG-19 kernel (9.4 MB) reads in well under a second. */
export const HDF5_CALL_LIMIT_MS = 5000;

export interface KerasH5Options {
  /** Convert the convs up to this module (default: all 16). */
  upTo?: number;
  /** Give up on a file when one HDF5 call takes longer (default HDF5_CALL_LIMIT_MS). */
  callLimitMs?: number;
}

export async function convertKerasH5(path: string, options: KerasH5Options = {}): Promise<VggWeights> {
  checkContainer(path);
  const file = await H5Reader.open(path, options.callLimitMs ?? HDF5_CALL_LIMIT_MS);
  try {
    return await readLayers(file, path, options.upTo);
  } finally {
    await file.close();
  }
}

async function readLayers(file: H5Reader, path: string, upTo: number | undefined): Promise<VggWeights> {
  // Whole-model files keep the weights under /model_weights; weights-only files at the root.
  const root = (await file.get('model_weights')) ? 'model_weights/' : '';
  checkVgg19(kerasLayout(toStrings(await file.layerNames(root.replace(/\/$/, '')))), path);
  const tensors = new Map<string, WeightTensor>();
  for (const layer of convsUpTo(upTo)) {
    const groupPath = `${root}${kerasName(layer.name)}`;
    const group = await file.get(groupPath);
    if (!group)
      throw new ConvertError(`${path}: there is no layer group "${groupPath}"${layer.index > 0 ? '' : "; is this Keras's VGG-19?"}`, {
        upTo: layer.index > 0 ? layer.index - 1 : undefined,
      });
    if (group.kind !== 'group') throw new ConvertError(`${path}: ${groupPath} is not a layer group; is this Keras's VGG-19?`);
    const names = toStrings(await file.weightNames(groupPath));
    if (names.length !== 2) throw new ConvertError(`${path}: ${groupPath} has weight_names ${show(names)}, expected a kernel and a bias`);
    const kernelName = names.find((n) => /kernel|_W(_\d+)?:0$/.test(n));
    const biasName = names.find((n) => /bias|_b(_\d+)?:0$/.test(n));
    if (!kernelName || !biasName)
      throw new ConvertError(`${path}: cannot tell kernel from bias in ${groupPath}'s weight_names ${show(names)}`);
    const kernel = await dataset(file, `${groupPath}/${kernelName}`, [3, 3, layer.cin, layer.cout], path);
    const bias = await dataset(file, `${groupPath}/${biasName}`, [layer.cout], path);
    tensors.set(`${layer.name}.weight`, hwioToOihw(kernel.data, kernel.shape, layer, path));
    tensors.set(`${layer.name}.bias`, checkBias(bias.data, bias.shape, layer, path));
  }
  return kerasWeights(tensors, { source: path, format: 'keras-hdf5', converter: 'wgpu-style convertKerasH5' });
}

/** A float32 dataset of the expected shape; its data is read only once both are known to be right. */
async function dataset(
  file: H5Reader,
  datasetPath: string,
  expected: number[],
  path: string,
): Promise<{ shape: number[]; data: Float32Array }> {
  const d = await file.get(datasetPath);
  if (d?.kind !== 'dataset') throw new ConvertError(`${path}: weight_names lists ${show(datasetPath)} but there is no such dataset`);
  const shape = d.shape ?? [];
  if (shape.join(',') !== expected.join(',')) {
    throw new ConvertError(`${path}: dataset ${show(datasetPath)} has shape ${show(shape)}, expected [${expected}]: not VGG-19's`);
  }
  if (d.dtype !== '<f')
    throw new ConvertError(`${path}: dataset ${show(datasetPath)} has type ${show(d.dtype)}, expected little-endian float32 ("<f")`);
  const data = await file.read(datasetPath);
  if (!(data instanceof Float32Array)) throw new ConvertError(`${path}: dataset ${show(datasetPath)} did not read as float32`);
  return { shape, data };
}

/**
 * Checks the signature, and that the file is as long as its superblock says, reading only the
 * first bytes: a cut download gets "truncated" with both sizes, not an HDF5 error.
 */
function checkContainer(path: string): void {
  const { fd, stat } = openWeightsFile(path); // a FIFO is refused, not waited on
  try {
    const size = stat.size;
    const read = (at: number, length: number) => {
      const bytes = new Uint8Array(length);
      return bytes.subarray(0, readSync(fd, bytes, 0, length, at));
    };
    const at = superblockOffsets(size).find((offset) => HDF5_SIGNATURE.every((b, i) => read(offset, 8)[i] === b));
    if (at === undefined) {
      throw new ConvertError(
        `${path}: not an HDF5 file (no HDF5 signature); expected Keras weights such as vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`,
      );
    }
    const recorded = recordedSize(read(at, SUPERBLOCK_HEAD_BYTES), at);
    if ('problem' in recorded) throw new ConvertError(`${path}: corrupt HDF5 file: ${recorded.problem}. Download or export it again.`);
    if ('bytes' in recorded && recorded.bytes > size) {
      throw new ConvertError(
        `${path}: truncated or corrupt: HDF5 records ${recorded.bytes} bytes but the file has ${size}. Download it again (an interrupted download leaves a short file).`,
      );
    }
  } finally {
    closeSync(fd);
  }
}

function toStrings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)).replace(/\0+$/, ''));
}

type Entry = { kind: 'group' } | { kind: 'dataset'; shape: number[] | null; dtype: unknown } | { kind: 'other' } | null;
type Reply = { id: number; ok?: unknown; error?: string; fatal?: boolean };

/**
 * HDF5 through h5wasm in a worker thread, so that a call can be given up on: HDF5 loops forever
 * on some damaged files (one bit in the global heap of weight_names will do), and only a worker can be stopped.
 * One worker serves every file; it is replaced after a timeout or a crash (a wasm trap).
 */
class H5Reader {
  private static worker: Promise<Worker> | undefined;
  private static nextId = 1;

  /** The worker's number for this open file. */
  private handle = 0;

  private constructor(
    private readonly path: string,
    private readonly limitMs: number,
  ) {}

  static async open(path: string, limitMs: number): Promise<H5Reader> {
    const reader = new H5Reader(path, limitMs);
    reader.handle = (await reader.call('open', path, 'open it')) as number;
    return reader;
  }

  get(objectPath: string): Promise<Entry> {
    return this.call('get', objectPath, `read ${objectPath}`) as Promise<Entry>;
  }

  /** The root's (or model_weights') layer_names attribute, else its members' names. */
  layerNames(groupPath: string): Promise<unknown> {
    return this.call('layerNames', groupPath, `read the layer names`);
  }

  weightNames(groupPath: string): Promise<unknown> {
    return this.call('weightNames', groupPath, `read ${groupPath}'s weight_names`);
  }

  read(datasetPath: string): Promise<unknown> {
    return this.call('read', datasetPath, `read the data of ${datasetPath}`);
  }

  async close(): Promise<void> {
    await this.call('close', '', 'close it').catch(() => {
      // A file HDF5 could not read may not close either; the error that ended the reading says why.
    });
  }

  private async call(op: string, arg: string, what: string): Promise<unknown> {
    const worker = await H5Reader.start();
    const id = H5Reader.nextId++;
    const reply = await new Promise<Reply | 'timeout' | 'exit'>((resolve) => {
      const done = (r: Reply | 'timeout' | 'exit') => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('exit', onExit);
        resolve(r);
      };
      const onMessage = (r: Reply) => r.id === id && done(r);
      const onExit = () => done('exit');
      const timer = setTimeout(() => done('timeout'), this.limitMs);
      worker.on('message', onMessage).on('exit', onExit);
      worker.postMessage({ id, op, handle: this.handle, arg });
    });
    if (reply === 'timeout' || reply === 'exit' || reply.fatal) H5Reader.stop(worker);
    if (reply === 'timeout') {
      throw new ConvertError(
        `${this.path}: HDF5 did not ${what} within ${this.limitMs / 1000} s (it loops on some damaged files); the file is corrupt. Download or export it again.`,
      );
    }
    if (reply === 'exit')
      throw new ConvertError(
        `${this.path}: the HDF5 reader stopped while trying to ${what}; the file is corrupt. Download or export it again.`,
      );
    if (reply.error !== undefined) {
      const verb = op === 'open' ? 'not a readable HDF5 file' : `cannot ${what}`;
      throw new ConvertError(`${this.path}: ${verb} (${hdf5Problem(reply.error)}); the file is corrupt. Download or export it again.`);
    }
    return reply.ok;
  }

  private static start(): Promise<Worker> {
    H5Reader.worker ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { url: h5wasmUrl() } });
      worker.unref(); // the worker never keeps the process alive
      worker.on('error', () => {
        // An uncaught error ends the worker; its 'exit' answers the pending call.
      });
      worker.once('message', (r: Reply) => (r.error === undefined ? resolve(worker) : reject(new Error(`cannot load h5wasm: ${r.error}`))));
      worker.once('exit', () => reject(new Error('the h5wasm worker stopped while loading')));
    }).catch((err: unknown) => {
      H5Reader.worker = undefined; // the next conversion tries again
      throw err;
    });
    return H5Reader.worker;
  }

  private static stop(worker: Worker): void {
    void worker.terminate();
    H5Reader.worker = undefined;
  }
}

/**
 * Where to import h5wasm from. Under tsx (bin/wgpu-style.js), a query naming another tsx namespace
 * keeps tsx from rewriting the dynamic imports in h5wasm's 4 MB emscripten file, which costs ~5 s
 * and ~600 MB of memory; elsewhere Node ignores the query.
 */
export function h5wasmUrl(): string {
  return `${import.meta.resolve('h5wasm/node')}?tsx-namespace=wgpu-style-h5wasm`;
}

/**
 * The worker (plain JavaScript: it runs without tsx). HDF5's errors are thrown as JS errors by
 * h5wasm's throwing error handler instead of printed to stderr as an "HDF5-DIAG" stack; each is
 * answered to the caller. Only data crosses: entry kinds, shapes, dtypes, names, Float32Arrays.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// Emscripten prints through console (an abort's "Aborted(...)"): keep it off the terminal.
for (const name of ['log', 'info', 'warn', 'error']) console[name] = () => {};
const files = new Map();
let h5, mod, opened = 0;
// The throwing handler prints each error into a tmpfile() that it never closes: close them.
const closeErrorFiles = () => {
  const FS = mod.FS;
  for (const s of FS?.streams ?? []) if (s && /^\\/tmp\\/tmpfile_/.test(s.path)) try { FS.close(s); } catch {}
};
const ops = {
  open(_, path) { files.set(++opened, new h5.File(path, 'r')); return opened; },
  close(file) { const f = files.get(file); files.delete(file); if (f) f.close(); return null; },
  get(file, path) {
    const e = files.get(file).get(path);
    if (!e) return null;
    if (e instanceof h5.Group) return { kind: 'group' };
    if (e instanceof h5.Dataset) return { kind: 'dataset', shape: e.shape, dtype: e.dtype };
    return { kind: 'other' };
  },
  weightNames(file, path) { const a = files.get(file).get(path).attrs['weight_names']; return a ? a.value : null; },
  layerNames(file, path) {
    const g = path ? files.get(file).get(path) : files.get(file);
    const a = g.attrs['layer_names'];
    return a ? a.value : g.keys();
  },
  read(file, path) { return files.get(file).get(path).value; },
};
import(workerData.url).then(async (m) => {
  h5 = m.default;
  mod = m; // its FS is set once h5wasm is ready
  (await h5.ready).activate_throwing_error_handler();
  parentPort.on('message', ({ id, op, handle, arg }) => {
    try {
      const ok = ops[op](handle, arg);
      try {
        parentPort.postMessage({ id, ok }, ArrayBuffer.isView(ok) ? [ok.buffer] : []); // data moves, not copied
      } catch {
        parentPort.postMessage({ id, ok }); // a buffer that cannot move is copied
      }
    } catch (err) {
      parentPort.postMessage({ id, error: String((err && err.message) || err), fatal: err instanceof WebAssembly.RuntimeError });
      closeErrorFiles();
    }
  });
  parentPort.postMessage({ id: 0 });
}, (err) => parentPort.postMessage({ id: 0, error: String(err) }));
`;

/** One line from an h5wasm error: HDF5's innermost reason ("truncated file: ..."), not its whole stack. */
function hdf5Problem(message: string): string {
  const reasons = [...message.matchAll(/#\d+: .* in [\w.]+\(\): (.+)/g)].map((m) => m[1]!.trim());
  const text = reasons.at(-1) ?? message.split('\n').find((line) => line.trim()) ?? 'unknown error';
  return clip(text, 160);
}
