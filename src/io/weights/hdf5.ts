// What an HDF5 file says about itself before any library reads it: the signature, and the file
// size its superblock records (its end-of-file address, superblock versions 0–3). A
// short file is then reported as truncated, with both sizes, instead of as an HDF5 error stack.

export const HDF5_SIGNATURE = Uint8Array.of(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a);

/** Where the superblock may start: 0, or after a user block of 512, 1024, 2048, ... bytes. */
export function superblockOffsets(fileBytes: number): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset + HDF5_SIGNATURE.length <= fileBytes; offset = offset === 0 ? 512 : offset * 2) offsets.push(offset);
  return offsets;
}

/** Bytes to read at the superblock's offset for `recordedSize` (the largest: version 1 with 8-byte addresses). */
export const SUPERBLOCK_HEAD_BYTES = 28 + 4 * 8;

export type RecordedSize = { bytes: number } | { problem: string } | { unknown: string };

/**
 * The size the superblock in `head` (read at file offset `at`) records for the whole file.
 * `problem` when a field is impossible; `unknown` when this version does not say (or is newer).
 */
export function recordedSize(head: Uint8Array, at: number): RecordedSize {
  const version = head[8];
  let sizeOfOffsets: number | undefined;
  let addresses: number; // where base address, ..., end-of-file address begin
  let eofIndex: number; // which address is the end of file
  if (version === 0 || version === 1) {
    sizeOfOffsets = head[13];
    addresses = version === 0 ? 24 : 28;
    eofIndex = 2; // base, free-space info, end of file, driver info
  } else if (version === 2 || version === 3) {
    sizeOfOffsets = head[9];
    addresses = 12;
    eofIndex = 2; // base, superblock extension, end of file, root group
  } else {
    return { unknown: `superblock version ${version}` };
  }
  if (sizeOfOffsets !== 2 && sizeOfOffsets !== 4 && sizeOfOffsets !== 8)
    return { problem: `its superblock says addresses take ${sizeOfOffsets} bytes` };
  if (head.byteLength < addresses + (eofIndex + 1) * sizeOfOffsets) return { problem: 'its superblock is cut short' };
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const address = (i: number): bigint => {
    const start = addresses + i * sizeOfOffsets;
    let value = 0n;
    for (let b = sizeOfOffsets - 1; b >= 0; b--) value = (value << 8n) | BigInt(view.getUint8(start + b));
    return value;
  };
  const undefinedAddress = (1n << BigInt(8 * sizeOfOffsets)) - 1n;
  const base = address(0);
  if (base === undefinedAddress) return { problem: 'its superblock has no base address' };
  const end = address(eofIndex);
  if (end === undefinedAddress) return { unknown: 'no end-of-file address' };
  // The library stores base + the relative end of file, and moves the base to where it finds the
  // superblock (H5F__super_read): the file must reach end - base + at.
  const bytes = end - base + BigInt(at);
  if (bytes < 0n || bytes > BigInt(Number.MAX_SAFE_INTEGER))
    return { problem: `its superblock records an impossible size (${bytes} bytes)` };
  return { bytes: Number(bytes) };
}
