// Step 2 of the page: weights from this browser's cache, the download button (a known source of
// src/io/weights/sources.ts, the CLI's default first, or a URL the user gives), a picked file, or
// the local server.

import { decodeWeights } from '../io/weights/format.js';
import { DEFAULT_SOURCE, FETCH_SOURCES, SOURCE_NAMES, type Checksums, type SourceName } from '../io/weights/sources.js';
import type { VggWeights } from '../vgg/index.js';
import { convertInWorker, type ConvertRequest } from './convert-messages.js';
import { cachedWeights, cacheWeights, checksumsFromHex, downloadBytes, forgetCachedWeights, readCachedWeights } from './weights-fetch.js';

export interface WeightsEvents {
  loaded(weights: VggWeights, from: 'cache' | 'download' | 'file' | 'server', name: string): void;
  status(text: string, error?: boolean): void;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/** Converts (in the worker, after checking a download's checksums) and decodes `files`; the .bin bytes too, to keep. */
async function toWeights(
  files: Array<{ name: string; bytes: Uint8Array }>,
  check?: ConvertRequest['check'],
): Promise<{ weights: VggWeights; bin: Uint8Array; format: string }> {
  const first = files[0]!;
  const reply = await convertInWorker(
    files.map((f) => ({ name: f.name, bytes: f.bytes.slice() })),
    check,
  );
  if (!reply.ok) throw new Error(reply.message);
  const bin = reply.bin ?? first.bytes;
  return { weights: await decodeWeights(bin, first.name), bin, format: reply.format };
}

/** The known source the source menu names (the CLI's default, DEFAULT_SOURCE, unless changed). */
const chosenSource = () => FETCH_SOURCES[$<HTMLSelectElement>('weights-source').value as SourceName];

/**
 * What the download button fetches: the URL field's, with its checksum if given, else the chosen
 * known source, checked as the CLI checks it (`weights fetch --from`).
 */
function downloadTarget(): { url: string; checksums: Checksums; bin: string; name: string } {
  const url = $<HTMLInputElement>('weights-url').value.trim();
  if (!url) {
    const source = chosenSource();
    return { url: source.url, checksums: source.checksums, bin: source.bin, name: source.weights };
  }
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || 'weights');
  const checksums = checksumsFromHex($<HTMLInputElement>('weights-checksum').value);
  return { url, checksums, bin: `${name.replace(/\.[^.]*$/, '')}.bin`, name };
}

async function download(events: WeightsEvents): Promise<void> {
  let target: ReturnType<typeof downloadTarget>;
  try {
    target = downloadTarget();
  } catch (err) {
    return events.status((err as Error).message, true);
  }
  const bar = $<HTMLProgressElement>('weights-progress');
  bar.hidden = false;
  bar.removeAttribute('value');
  try {
    events.status(`Downloading ${target.name} from ${target.url}…`);
    const bytes = await downloadBytes(target.url, (received, total) => {
      if (total) [bar.max, bar.value] = [total, received];
      events.status(`Downloading ${target.name}: ${mb(received)}${total ? ` of ${mb(total)}` : ''}…`);
    });
    events.status(`Checking and converting ${target.name} (${mb(bytes.byteLength)})…`);
    const what = `${target.name} from ${target.url}`;
    const { weights, bin } = await toWeights([{ name: target.name, bytes }], { checksums: target.checksums, what });
    const kept = await cacheWeights(target.bin, bin);
    events.loaded(
      weights,
      'download',
      `${target.bin}${kept ? ', kept in this browser for next time' : ' (this browser would not keep it)'}`,
    );
  } catch (err) {
    events.status((err as Error).message, true);
  } finally {
    bar.hidden = true;
  }
}

/** The source menu: every known source, the CLI's default first chosen; the button names the chosen one. */
function setupSourceMenu(): void {
  const menu = $<HTMLSelectElement>('weights-source');
  for (const name of SOURCE_NAMES) menu.add(new Option(FETCH_SOURCES[name].label, name));
  const chosen = new URLSearchParams(location.search).get('weights-source');
  menu.value = chosen && (SOURCE_NAMES as readonly string[]).includes(chosen) ? chosen : DEFAULT_SOURCE;
  const label = () => ($('download-weights').textContent = `Download the weights: ${chosenSource().label}`);
  menu.addEventListener('change', label);
  label();
}

async function listServerWeights(): Promise<void> {
  try {
    const list = (await (await fetch('weights/')).json()) as string[];
    const select = $<HTMLSelectElement>('server-weights');
    for (const name of list) select.add(new Option(name, name));
    $('server-row').hidden = list.length === 0;
  } catch {
    // Served without the CLI's server: no list.
  }
}

/** Wires step 2 and loads the weights this browser kept, if any. */
export async function setupWeights(events: WeightsEvents): Promise<void> {
  const fail = (err: unknown) => events.status((err as Error).message, true);
  const params = new URLSearchParams(location.search);
  $<HTMLInputElement>('weights-url').value = params.get('weights-url') ?? '';
  $<HTMLInputElement>('weights-checksum').value = params.get('weights-checksum') ?? '';
  setupSourceMenu();
  $('download-weights').addEventListener('click', () => void download(events));
  const picker = $<HTMLInputElement>('weights-file');
  picker.addEventListener('change', async () => {
    const files = Array.from(picker.files ?? []);
    if (!files.length) return;
    events.status(`Converting ${files.map((f) => f.name).join(', ')}…`);
    try {
      const picked = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      const { weights, format } = await toWeights(picked);
      events.loaded(weights, 'file', `${files[0]!.name} (${format})`);
    } catch (err) {
      fail(err);
    }
  });
  $('load-server-weights').addEventListener('click', async () => {
    const name = $<HTMLSelectElement>('server-weights').value;
    try {
      const response = await fetch(`weights/${encodeURIComponent(name)}`);
      if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
      events.loaded(await decodeWeights(new Uint8Array(await response.arrayBuffer()), name), 'server', name);
    } catch (err) {
      fail(err);
    }
  });
  $('forget-weights').addEventListener('click', async () => {
    await forgetCachedWeights();
    events.status('This browser no longer keeps any weights.');
  });
  void listServerWeights();
  const [name] = await cachedWeights();
  const bytes = name ? await readCachedWeights(name) : null;
  if (name && bytes) await decodeWeights(bytes, name).then((w) => events.loaded(w, 'cache', `${name} from this browser's cache`), fail);
}
