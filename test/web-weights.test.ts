// The page's weights conversion (src/web/convert-files.ts, what its worker runs) in Node, where it
// is fast: Keras's .h5 read with h5wasm's browser build as the CLI reads it with its Node build, the
// model zoo's zip unpacked in memory and checked by its .params file's sha1, md5 with hash-wasm,
// and the zip inflater's limits. test/web.test.ts drives the same code in Chromium.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memorySource } from '../src/io/weights/bytes.js';
import { readKerasH5 } from '../src/io/weights/keras-h5.js';
import { findSingleEntry, inflateEntry } from '../src/io/weights/zip-inflate.js';
import { convertKerasH5 } from '../src/node/keras-h5.js';
import { verifyChecksums } from '../src/web/checksums.js';
import { convertFiles } from '../src/web/convert-files.js';
import { openH5Bytes } from '../src/web/h5-access.js';
import { checksumsFromHex } from '../src/web/weights-fetch.js';
import { ramp, writeKerasH5 } from './helpers/keras-h5.js';
import { fixture } from './helpers/weights-fixtures.js';
import { zipFile } from './helpers/zip-writer.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-web-weights-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const digest = (kind: string, bytes: Uint8Array) => createHash(kind).update(bytes).digest('hex');
/** Typed arrays compared by their bytes' sha256 (toEqual walks 20 million elements for minutes). */
const hash = (a: Float32Array | Uint8Array) => digest('sha256', new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

describe("the page's converter", () => {
  it('reads a Keras .h5 with the browser build of h5wasm exactly as the CLI reads it with its Node build, each HDF5 call announced', async () => {
    // Blocks 1-2 (a whole VGG-19 takes ~10 s to write and read here: test/web.test.ts converts one in the page).
    const upTo = 7;
    const path = join(work, 'vgg19_notop.h5');
    await writeKerasH5(path, upTo, 'old', ramp, true);
    const calls: Array<string | null> = [];
    const h5 = await openH5Bytes(new Uint8Array(readFileSync(path)), 'vgg19_notop.h5', (what) => calls.push(what));
    const page = await readKerasH5(h5, 'vgg19_notop.h5', upTo).finally(() => h5.close());
    const cli = await convertKerasH5(path, { upTo });
    expect([...page.tensors.keys()]).toEqual([...cli.tensors.keys()]);
    expect(page.tensors.size).toBe(8);
    for (const [name, t] of cli.tensors) expect(hash(page.tensors.get(name)!.data), name).toBe(hash(t.data));
    expect(page.input).toEqual(cli.input);
    // Each call is announced before it runs and cleared after: the page's watchdog sees every one.
    expect(calls[0]).toBe('open it');
    expect(calls.filter((c) => c === null)).toHaveLength(calls.length / 2);
    expect(calls).toContain('read the data of block2_conv2/block2_conv2_W_1:0');
  });

  it('refuses a cut .h5 download as truncated, with both sizes, before HDF5 reads it', async () => {
    const path = join(work, 'short.h5');
    await writeKerasH5(path, 2, 'new');
    const bytes = new Uint8Array(readFileSync(path));
    const cut = bytes.subarray(0, bytes.byteLength - 1000);
    await expect(convertFiles({ files: [{ name: 'short.h5', bytes: cut }] }, () => {})).rejects.toThrow(
      `short.h5: truncated or corrupt: HDF5 records ${bytes.byteLength} bytes but the file has ${cut.byteLength}.`,
    );
  });

  it("unpacks the model zoo's zip and checks the sha1 of the .params inside, as `weights fetch --from mxnet` does", async () => {
    // Block 1 only (a whole VGG-19 is 80 MB): MXNet's converter is reached, and refuses it for its 2 convs.
    const params = fixture('gluon-vgg19-block1.params');
    const zip = zipFile([{ name: 'vgg19-ad2f660d.params', data: params, deflate: true }]);
    const what = 'vgg19-ad2f660d.params from https://example/vgg19.zip';
    const run = (sha1: string) =>
      convertFiles({ files: [{ name: 'vgg19.zip', bytes: zip }], check: { checksums: { sha1 }, what } }, () => {});
    await expect(run(digest('sha1', params))).rejects.toThrow(/^vgg19-ad2f660d\.params: holds 2 conv layers/);
    await expect(run(digest('sha1', zip))).rejects.toThrow(
      /^vgg19-ad2f660d\.params from https:\/\/example\/vgg19\.zip is damaged or not the expected file \(its sha1 is [0-9a-f]{16}…/,
    );
  });
});

describe('checksums in the page', () => {
  const bytes = new TextEncoder().encode('not the weights');

  it('checks an md5 (which SubtleCrypto lacks) and refuses a mismatch in one sentence', async () => {
    await verifyChecksums(bytes, { md5: digest('md5', bytes).toUpperCase() }, 'x.h5');
    const err = (await verifyChecksums(bytes, { md5: '253f8cb515780f3b799900260a226db6' }, 'x.h5 from here').catch((e: Error) => e))!;
    expect(err.message).toBe(
      `x.h5 from here is damaged or not the expected file (its md5 is ${digest('md5', bytes).slice(0, 16)}…, expected 253f8cb515780f3b…); nothing was kept: try the download again.`,
    );
  });

  it('tells a checksum typed in the page by its length', () => {
    expect(checksumsFromHex(` ${'A'.repeat(32)} `)).toEqual({ md5: 'a'.repeat(32) });
    expect(checksumsFromHex('b'.repeat(40))).toEqual({ sha1: 'b'.repeat(40) });
    expect(checksumsFromHex('c'.repeat(64))).toEqual({ sha256: 'c'.repeat(64) });
    expect(checksumsFromHex('')).toEqual({});
    expect(() => checksumsFromHex('abc')).toThrow(/^The checksum "abc" is not an md5 \(32 hex digits\), a sha1 \(40\) or a sha256 \(64\)/);
  });
});

describe("the page's zip inflater", () => {
  const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251);
  const entry = async (zip: Uint8Array) => {
    const source = memorySource(zip, 'zoo.zip');
    const { entry: e, start } = await findSingleEntry(source, '.params', 2 ** 30);
    return inflateEntry(source, e, start);
  };
  /** The archive with its central directory's field at `offset` (from the entry's header) set to `value`. */
  const patched = (zip: Uint8Array, offset: number, value: number) => {
    const copy = zip.slice();
    const view = new DataView(copy.buffer);
    let central = copy.byteLength - 4;
    while (view.getUint32(central, true) !== 0x02014b50) central--;
    view.setUint32(central + offset, value, true);
    return copy;
  };

  it('inflates a deflated entry and reads a stored one, both checked by their CRC-32', async () => {
    expect(hash(await entry(zipFile([{ name: 'a.params', data, deflate: true }])))).toBe(hash(data));
    expect(hash(await entry(zipFile([{ name: 'a.params', data }])))).toBe(hash(data));
    await expect(entry(patched(zipFile([{ name: 'a.params', data, deflate: true }]), 16, 1234))).rejects.toThrow(
      /zoo\.zip: entry "a\.params" has CRC-32 [0-9a-f]{8}, the directory says 000004d2; the file is corrupt/,
    );
  });

  it('stops an entry that inflates past its stated size (a zip bomb) and says so', async () => {
    const bomb = patched(zipFile([{ name: 'a.params', data, deflate: true }]), 24, 1000);
    await expect(entry(bomb)).rejects.toThrow(
      /^zoo\.zip: "a\.params" inflates past the 1000 bytes the archive's directory states \(a zip bomb/,
    );
  });
});
