// The page's conversion worker: converts what the page sends (convert-files.ts) off its thread,
// announcing each HDF5 call so that the page can end one that loops (convert-messages.ts).

import { convertFiles } from './convert-files.js';
import type { ConvertReply, ConvertRequest, Hdf5Note } from './convert-messages.js';

self.onmessage = async (event: MessageEvent<ConvertRequest>) => {
  let reply: ConvertReply;
  try {
    const done = await convertFiles(event.data, (what) => self.postMessage({ hdf5: what } satisfies Hdf5Note));
    reply = done ? { ok: true, bin: done.bin, format: done.format } : { ok: true, bin: null, format: 'wgpu-style .bin' };
  } catch (err) {
    reply = { ok: false, message: (err as Error).message };
  }
  (self as unknown as Worker).postMessage(reply, reply.ok && reply.bin ? [reply.bin.buffer] : []);
};
