// Keras's .h5 in the page's conversion worker: h5wasm's ESM build (HDF5 compiled to wasm, the
// wasm inside the script, 4 MB) is loaded on the first .h5 only, the file is written to its
// in-memory file system and read through H5Access (src/io/weights/keras-h5.ts, as the CLI reads it).
// HDF5 loops for ever on some damaged files: each call is announced to `watch` first, so that the
// page can end the worker when one takes longer than HDF5_CALL_LIMIT_MS (convert-messages.ts).

import { h5CallWhat, hdf5CallError, type H5Op } from '../io/weights/hdf5-calls.js';
import type { H5Access, H5Entry } from '../io/weights/keras-h5.js';

export type H5Watch = (what: string | null) => void;

let opened = 0;

/** `bytes` as an open HDF5 file named `name` (for messages); close it when done. */
export async function openH5Bytes(bytes: Uint8Array, name: string, watch: H5Watch): Promise<H5Access & { close(): void }> {
  const h5 = (await import('h5wasm')).default;
  const module = await h5.ready;
  // HDF5's errors as exceptions, each one answered in a sentence, not an HDF5-DIAG stack on the console.
  module.activate_throwing_error_handler();
  const path = `/weights-${++opened}.h5`;
  module.FS.writeFile(path, bytes);
  const call = <T>(op: H5Op, at: string, attrName: string | undefined, run: () => T): Promise<T> => {
    watch(h5CallWhat(op, at, attrName));
    try {
      return Promise.resolve(run());
    } catch (err) {
      return Promise.reject(hdf5CallError(name, h5CallWhat(op, at, attrName), String((err as Error)?.message ?? err)));
    } finally {
      watch(null);
    }
  };
  const file = await call('open', '', undefined, () => new h5.File(path, 'r'));
  const at = (p: string) => (p ? file.get(p) : file);
  return {
    get: (p) =>
      call('get', p, undefined, (): H5Entry => {
        const e = file.get(p);
        if (!e) return null;
        if (e instanceof h5.Dataset) return { kind: 'dataset', shape: e.shape, dtype: e.dtype };
        if (e instanceof h5.Group) return { kind: 'group' };
        return { kind: 'other' };
      }),
    attr: (p, attrName) =>
      call('attr', p, attrName, () => {
        const entity = at(p);
        const a = entity && 'attrs' in entity ? entity.attrs[attrName] : undefined;
        return a ? a.value : null;
      }),
    keys: (p) =>
      call('keys', p, undefined, () => {
        const group = at(p);
        return group instanceof h5.Group ? group.keys() : [];
      }),
    read: (p) =>
      call('read', p, undefined, () => {
        const d = file.get(p);
        return d instanceof h5.Dataset ? d.value : null;
      }),
    close() {
      try {
        file.close();
      } finally {
        module.FS.unlink(path);
      }
    },
  };
}
