// Keras HDF5 weights through h5wasm in Node: the file's access only. The reading, the checks and
// the messages are src/io/weights/keras-h5.ts's, shared with the page; here HDF5 runs in a worker
// thread so that a call that loops on a damaged file can be given up on.

import { closeSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { HDF5_CALL_LIMIT_MS, h5CallWhat, hdf5CallError, hdf5TimeoutError, type H5Op } from '../io/weights/hdf5-calls.js';
import { checkH5Container, readKerasH5, type H5Access, type H5Entry } from '../io/weights/keras-h5.js';
import { ConvertError } from '../io/weights/convert-error.js';
import type { VggWeights } from '../vgg/index.js';
import { openWeightsFile } from './weights-files.js';

export { HDF5_CALL_LIMIT_MS };

export interface KerasH5Options {
  /** Convert the convs up to this module (default: all 16). */
  upTo?: number;
  /** Give up on a file when one HDF5 call takes longer (default HDF5_CALL_LIMIT_MS). */
  callLimitMs?: number;
}

export async function convertKerasH5(path: string, options: KerasH5Options = {}): Promise<VggWeights> {
  await checkContainer(path);
  const file = await H5Reader.open(path, options.callLimitMs ?? HDF5_CALL_LIMIT_MS);
  try {
    return await readKerasH5(file, path, options.upTo);
  } finally {
    await file.close();
  }
}

/** checkH5Container on the file's first bytes, read through a descriptor (a FIFO is refused, not waited on). */
async function checkContainer(path: string): Promise<void> {
  const { fd, stat } = openWeightsFile(path);
  try {
    await checkH5Container({
      name: path,
      size: stat.size,
      read: async (at, length) => {
        const bytes = new Uint8Array(length);
        return bytes.subarray(0, readSync(fd, bytes, 0, length, at));
      },
    });
  } finally {
    closeSync(fd);
  }
}

type Reply = { id: number; ok?: unknown; error?: string; fatal?: boolean };

/**
 * HDF5 through h5wasm in a worker thread, so that a call can be given up on: HDF5 loops forever
 * on some damaged files (one bit in the global heap of weight_names will do), and only a worker can be stopped.
 * One worker serves every file; it is replaced after a timeout or a crash (a wasm trap).
 */
class H5Reader implements H5Access {
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
    reader.handle = (await reader.call('open', path)) as number;
    return reader;
  }

  get(path: string): Promise<H5Entry> {
    return this.call('get', path) as Promise<H5Entry>;
  }

  attr(path: string, name: string): Promise<unknown> {
    return this.call('attr', path, name);
  }

  keys(path: string): Promise<string[]> {
    return this.call('keys', path) as Promise<string[]>;
  }

  read(path: string): Promise<unknown> {
    return this.call('read', path);
  }

  async close(): Promise<void> {
    await this.call('close', '').catch(() => {
      // A file HDF5 could not read may not close either; the error that ended the reading says why.
    });
  }

  private async call(op: H5Op, path: string, name?: string): Promise<unknown> {
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
      worker.postMessage({ id, op, handle: this.handle, path, name });
    });
    if (reply === 'timeout' || reply === 'exit' || reply.fatal) H5Reader.stop(worker);
    const what = h5CallWhat(op, path, name);
    if (reply === 'timeout') throw hdf5TimeoutError(this.path, what, this.limitMs);
    if (reply === 'exit')
      throw new ConvertError(
        `${this.path}: the HDF5 reader stopped while trying to ${what}; the file is corrupt. Download or export it again.`,
      );
    if (reply.error !== undefined) throw hdf5CallError(this.path, what, reply.error);
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
  attr(file, path, name) {
    const a = (path ? files.get(file).get(path) : files.get(file)).attrs[name];
    return a ? a.value : null;
  },
  keys(file, path) { return (path ? files.get(file).get(path) : files.get(file)).keys(); },
  read(file, path) { return files.get(file).get(path).value; },
};
import(workerData.url).then(async (m) => {
  h5 = m.default;
  mod = m; // its FS is set once h5wasm is ready
  (await h5.ready).activate_throwing_error_handler();
  parentPort.on('message', ({ id, op, handle, path, name }) => {
    try {
      const ok = ops[op](handle, path, name);
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
