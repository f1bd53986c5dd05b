// A downloaded weights file checked against its source's checksums (src/io/weights/sources.ts, as
// the CLI checks them) before it is converted: sha256 and sha1 with the browser's SubtleCrypto,
// md5 (Keras's .h5 is published with an md5 only) with hash-wasm, which SubtleCrypto lacks.
// Runs in the conversion worker, after a zip is unpacked (MXNet's sha1 is its .params file's).

import { md5 } from 'hash-wasm';
import type { Checksums } from '../io/weights/sources.js';

const hex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');

type Check = { name: string; expected: string; prefix: boolean; digest: (data: Uint8Array<ArrayBuffer>) => Promise<string> };

const subtle = (algorithm: 'SHA-256' | 'SHA-1') => async (data: Uint8Array<ArrayBuffer>) =>
  hex(await crypto.subtle.digest(algorithm, data));

/** The checks `checksums` asks for: sha256 (or its first digits, as torch.hub checks them), sha1, md5. */
function checksFor(checksums: Checksums): Check[] {
  const checks: Check[] = [];
  if (checksums.sha256) checks.push({ name: 'sha256', expected: checksums.sha256, prefix: false, digest: subtle('SHA-256') });
  if (checksums.sha256Prefix) checks.push({ name: 'sha256', expected: checksums.sha256Prefix, prefix: true, digest: subtle('SHA-256') });
  if (checksums.sha1) checks.push({ name: 'sha1', expected: checksums.sha1, prefix: false, digest: subtle('SHA-1') });
  if (checksums.md5) checks.push({ name: 'md5', expected: checksums.md5, prefix: false, digest: (data) => md5(data) });
  return checks;
}

/** Refuses `bytes` (`what`: the file and where it came from) in one sentence unless every checksum given matches. */
export async function verifyChecksums(bytes: Uint8Array, checksums: Checksums, what: string): Promise<void> {
  for (const { name, expected: given, prefix, digest } of checksFor(checksums)) {
    const expected = given.toLowerCase();
    const actual = await digest(bytes as Uint8Array<ArrayBuffer>);
    if (prefix ? !actual.startsWith(expected) : actual !== expected)
      throw new Error(
        `${what} is damaged or not the expected file (its ${name} is ${actual.slice(0, 16)}…, expected ${expected.slice(0, 16)}${prefix ? '' : '…'}); nothing was kept: try the download again.`,
      );
  }
}
