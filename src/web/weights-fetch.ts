// Weights over the network for the page: a download with progress, checked against the source's
// checksum (src/io/weights/sources.ts, as the CLI checks it) before anything is converted, and the
// converted .bin kept in the browser's Cache Storage so that the next visit starts at once.

import type { Checksums } from '../io/weights/sources.js';

const CACHE = 'wgpu-style-weights';
/** Cache Storage keys are requests: the .bin's name under this path of the page's origin. */
const cacheKey = (bin: string) => new URL(`cached-weights/${encodeURIComponent(bin)}`, location.href).href;

/** The cached .bin files, by name (empty when Cache Storage is off, as in a private window of some browsers). */
export async function cachedWeights(): Promise<string[]> {
  try {
    const keys = await (await caches.open(CACHE)).keys();
    return keys.map((r) => decodeURIComponent(r.url.split('/').pop()!)).sort();
  } catch {
    return [];
  }
}

export async function readCachedWeights(bin: string): Promise<Uint8Array | null> {
  try {
    const hit = await (await caches.open(CACHE)).match(cacheKey(bin));
    return hit ? new Uint8Array(await hit.arrayBuffer()) : null;
  } catch {
    return null;
  }
}

/** Keeps `bytes` as `bin`; false (and nothing kept) when storage is off or full. */
export async function cacheWeights(bin: string, bytes: Uint8Array): Promise<boolean> {
  try {
    const body = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
    await (await caches.open(CACHE)).put(cacheKey(bin), new Response(body));
    return true;
  } catch {
    return false;
  }
}

export async function forgetCachedWeights(): Promise<void> {
  await caches.delete(CACHE).catch(() => false);
}

export class DownloadRefused extends Error {}

/** The whole file at `url`, reporting bytes as they arrive; one sentence when it cannot be had. */
export async function downloadBytes(url: string, onProgress: (received: number, total: number | null) => void): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (err) {
    throw new DownloadRefused(
      `Could not download ${url} (${(err as Error).message}): the server may not allow downloads from other pages (CORS) or the network is down; download it yourself and pick the file below, or give another URL.`,
    );
  }
  if (!response.ok || !response.body) throw new DownloadRefused(`Could not download ${url}: the server answered HTTP ${response.status}.`);
  const length = Number(response.headers.get('Content-Length'));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    onProgress(received, total);
  }
  if (total !== null && received !== total)
    throw new DownloadRefused(`The download of ${url} stopped at ${received} of ${total} bytes; try again.`);
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) bytes.set(c, (at += c.byteLength) - c.byteLength);
  return bytes;
}

const hex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Refuses `bytes` unless every checksum given matches: sha256 (or its first digits, as torch.hub
 * checks them) and sha1 with the browser's SubtleCrypto. md5 is not in SubtleCrypto: a source
 * checked only by md5 (Keras's .h5) is not offered by the page.
 */
export async function verifyChecksums(bytes: Uint8Array, checksums: Checksums, what: string): Promise<void> {
  const data = bytes as Uint8Array<ArrayBuffer>;
  const checks: Array<[string, 'SHA-256' | 'SHA-1', string, boolean]> = [];
  if (checksums.sha256) checks.push(['sha256', 'SHA-256', checksums.sha256.toLowerCase(), false]);
  if (checksums.sha256Prefix) checks.push(['sha256', 'SHA-256', checksums.sha256Prefix.toLowerCase(), true]);
  if (checksums.sha1) checks.push(['sha1', 'SHA-1', checksums.sha1.toLowerCase(), false]);
  for (const [name, algorithm, expected, prefix] of checks) {
    const actual = hex(await crypto.subtle.digest(algorithm, data));
    if (prefix ? !actual.startsWith(expected) : actual !== expected)
      throw new DownloadRefused(
        `${what} is damaged or not the expected file (its ${name} is ${actual.slice(0, 16)}…, expected ${expected.slice(0, 16)}${prefix ? '' : '…'}); nothing was kept: try the download again.`,
      );
  }
}
