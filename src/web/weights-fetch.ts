// Weights over the network for the page: a download with progress (checked against the source's
// checksum in the conversion worker, checksums.ts), and the converted .bin kept in the browser's
// Cache Storage so that the next visit starts at once.

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

/** A checksum given without its kind (the page's one field), told by its length: md5, sha1 or sha256. */
export function checksumsFromHex(given: string): Checksums {
  const hexDigits = given.trim().toLowerCase();
  if (hexDigits === '') return {};
  const kind = /^[0-9a-f]+$/.test(hexDigits) ? ({ 32: 'md5', 40: 'sha1', 64: 'sha256' } as const)[hexDigits.length] : undefined;
  if (!kind)
    throw new Error(
      `The checksum "${given.trim().slice(0, 80)}" is not an md5 (32 hex digits), a sha1 (40) or a sha256 (64): give one of these, or none.`,
    );
  return { [kind]: hexDigits };
}
