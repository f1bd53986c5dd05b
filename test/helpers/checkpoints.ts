// Crafted checkpoints for tests: a real checkpoint's header edited (and its data, with the checksum
// made right again), as someone editing the file by hand would make them.

import { createHash } from 'node:crypto';

/** A checkpoint's header, as JSON. */
export type CheckpointHeader = Record<string, unknown> & {
  command: string[];
  optimizer: { kind: string; vectors: string[]; numbers: Record<string, unknown> };
  identity: { settings: Record<string, unknown> };
};

/** The header and the data of a checkpoint file. */
export function splitCheckpoint(bytes: Uint8Array): { header: CheckpointHeader; data: Uint8Array } {
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as CheckpointHeader;
  return { header, data: bytes.slice(12 + length) };
}

/** A checkpoint file from a header and data; the header's checksum is set to the data's unless `keepChecksum`. */
export function joinCheckpoint(header: CheckpointHeader, data: Uint8Array, keepChecksum = false): Uint8Array {
  const h = keepChecksum ? header : { ...header, sha256: createHash('sha256').update(data).digest('hex') };
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(12 + json.length + data.length);
  out.set(new TextEncoder().encode('WGSTCKPT'), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(data, 12 + json.length);
  return out;
}

/** A real checkpoint with its header changed by `edit` (the data and its checksum stay valid). */
export function editCheckpoint(bytes: Uint8Array, edit: (header: CheckpointHeader) => void): Uint8Array {
  const { header, data } = splitCheckpoint(bytes);
  edit(header);
  return joinCheckpoint(header, data);
}
