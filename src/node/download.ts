// Downloads a file into place safely: into `<dest>.part`, resuming with HTTP Range after a
// dropped connection (and across runs), verified by checksum before it is renamed to `dest`.
// Only `dest` is ever trusted; a failed or interrupted download never produces it.

import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Checksums } from '../io/weights/sources.js';
import { UserError } from '../util/errors.js';

export type { Checksums };

export interface DownloadOptions extends Checksums {
  url: string;
  dest: string;
  /** Called as bytes arrive; total is null when the server does not say. */
  onProgress?: (received: number, total: number | null) => void;
  /** Attempts after a dropped connection, each resuming where the last stopped. */
  retries?: number;
}

export class DownloadError extends UserError {}

/** Refuses anything but an http: or https: URL (`what` names it in the message: "--url"). */
export function checkHttpUrl(url: string, what: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // not a URL at all
  }
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new UserError(`${what} must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
}

/** Refuses a checksum that is not `digits` hex digits (32 for md5, 64 for sha256). */
export function checkHex(value: string, digits: number, what: string): void {
  if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(value))
    throw new UserError(`${what} must be ${digits} hex digits, got ${JSON.stringify(value)}`);
}

/** Errors of the local file system: the download cannot be written, and retrying will not help. */
const FILE_ERRORS = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'EDQUOT',
  'ENOTDIR',
  'EISDIR',
  'EEXIST',
  'ENAMETOOLONG',
  'EMFILE',
  'ENFILE',
  'EFBIG',
  'ELOOP',
]);

export async function download(options: DownloadOptions): Promise<void> {
  const { url, dest, retries = 5 } = options;
  checkHttpUrl(url, 'the download URL');
  checkChecksums(options);
  const part = `${dest}.part`;
  try {
    // Before any network access: the folder exists and takes the .part file.
    mkdirSync(dirname(dest), { recursive: true });
    closeSync(openSync(part, 'a'));
  } catch (err) {
    throw new DownloadError(`cannot write ${part} (${describe(err)}); download into a writable folder`);
  }
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    try {
      await fetchInto(url, part, options.onProgress);
      lastError = undefined;
      break;
    } catch (err) {
      if (err instanceof DownloadError) {
        // HTTP errors: retrying will not help. Leave no empty .part behind.
        if (existsSync(part) && statSync(part).size === 0) rmSync(part, { force: true });
        throw err;
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code && FILE_ERRORS.has(code))
        throw new DownloadError(
          `cannot write ${part} (${code}); the download stopped. Free some space or download into another folder, then run the command again.`,
        );
      lastError = err;
      if (attempt < retries) await new Promise((resolve) => setTimeout(resolve, 250 * (attempt + 1)));
    }
  }
  if (lastError) {
    const resume = existsSync(part) ? `; run the command again to resume from ${part}` : '; check the network and run the command again';
    throw new DownloadError(`downloading ${url} failed after ${retries + 1} attempts (${describe(lastError)})${resume}`);
  }
  await verifyFile(part, options, `the file downloaded from ${url}`);
  renameSync(part, dest);
}

async function fetchInto(url: string, part: string, onProgress: DownloadOptions['onProgress']): Promise<void> {
  const have = existsSync(part) ? statSync(part).size : 0;
  const response = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
  if (response.status === 416) {
    // Nothing left to fetch: the partial file is already complete (verification decides).
    await response.body?.cancel();
    return;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(
      `downloading ${url} failed: HTTP ${response.status} ${response.statusText}. Check the URL, or pass --weights FILE to use weights you already have.`,
    );
  }
  const resumed = response.status === 206;
  const start = resumed ? have : 0; // a 200 means the server ignored Range: start over
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? start + length : null;
  let received = start;
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    received += chunk.byteLength;
    onProgress?.(received, total);
  });
  await pipeline(body, createWriteStream(part, { flags: resumed ? 'a' : 'w' }));
  if (total !== null && received < total) throw new Error(`connection closed at ${received} of ${total} bytes`);
}

/** Refuses checksums that are not hex of the right length, before anything is fetched. */
export function checkChecksums(c: Checksums, flag = (name: string) => `the ${name}`): void {
  if (c.md5 !== undefined) checkHex(c.md5, 32, flag('md5'));
  if (c.sha1 !== undefined) checkHex(c.sha1, 40, flag('sha1'));
  if (c.sha256 !== undefined) checkHex(c.sha256, 64, flag('sha256'));
  if (c.sha256Prefix !== undefined && !/^[0-9a-f]{1,64}$/i.test(c.sha256Prefix))
    throw new UserError(`${flag('sha256 prefix')} must be hex digits, got ${JSON.stringify(c.sha256Prefix)}`);
}

/** Checks `path` against every checksum given; deletes it and throws a DownloadError on a mismatch. */
export async function verifyFile(path: string, c: Checksums, what: string): Promise<void> {
  const checks: Array<[string, string, string]> = [];
  if (c.md5) checks.push(['md5', 'md5', c.md5]);
  if (c.sha1) checks.push(['sha1', 'sha1', c.sha1]);
  if (c.sha256) checks.push(['sha256', 'sha256', c.sha256]);
  if (c.sha256Prefix) checks.push(['sha256', 'sha256 prefix', c.sha256Prefix]);
  for (const [algorithm, label, expected] of checks) {
    const hash = createHash(algorithm);
    await pipeline(createReadStream(path), hash);
    const actual = hash.digest('hex');
    const ok = label === 'sha256 prefix' ? actual.startsWith(expected.toLowerCase()) : actual === expected.toLowerCase();
    if (!ok) {
      rmSync(path, { force: true });
      throw new DownloadError(
        `${what} has ${algorithm} ${actual}, expected ${label === 'sha256 prefix' ? `one starting ${expected}` : expected}; it was deleted. Run the command again; if this repeats, the server sends a different file.`,
      );
    }
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.code && FILE_ERRORS.has(e.code)) return e.code;
  return [e.message, e.cause?.code ?? e.cause?.message].filter(Boolean).join(': ');
}
