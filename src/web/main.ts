// The browser edge: gets the GPU from navigator.gpu, images from files or drops, weights from a
// picked .bin or the local server, and runs the same style job as the CLI (src/style/job.ts).

import shaders from 'virtual:shaders';
import { createContext, describeAdapter, NoAdapterError, type GpuContext } from '../gpu/index.js';
import { decodeWeights } from '../io/weights/format.js';
import { tuningFor } from '../kernels/index.js';
import type { RgbaImage } from '../style/image-tensor.js';
import { runStyleJob, type StyleProgress, type StyleResult } from '../style/job.js';
import { planJob } from '../plan/plan-job.js';
import { OptionError, optionMessage } from '../util/errors.js';
import type { VggWeights } from '../vgg/index.js';
import { drawLossChart } from './chart.js';
import { buildSettingsForm, fieldLabel, readSettingsForm } from './settings-form.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface PageState {
  ctx: GpuContext | null;
  content: RgbaImage | null;
  style: RgbaImage | null;
  weights: VggWeights | null;
  history: StyleProgress[];
  running: AbortController | null;
  result: StyleResult | null;
  error: string | null;
}

/** Exposed for people poking at the page and for the Playwright test. */
const state: PageState = { ctx: null, content: null, style: null, weights: null, history: [], running: null, result: null, error: null };
(globalThis as unknown as { wgpuStyle: PageState }).wgpuStyle = state;

function setStatus(id: string, text: string, error = false): void {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('error', error);
  if (error) state.error = text;
}

async function initGpu(): Promise<void> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    setStatus(
      'adapter',
      'This browser has no WebGPU (navigator.gpu is missing). Use a current Chrome, Edge or Safari, or enable WebGPU in its settings; the page must be served over https or from localhost.',
      true,
    );
    return;
  }
  try {
    state.ctx = await createContext(gpu, { shaders, tried: 'navigator.gpu' });
    rememberTuning(state.ctx);
    const untimed = autotunes(state.ctx) ? '' : ' — conv variants not timed on a software adapter (?autotune=1 times them)';
    setStatus('adapter', `GPU: ${describeAdapter(state.ctx.adapter)}${untimed}`);
  } catch (err) {
    const text =
      err instanceof NoAdapterError
        ? 'WebGPU is available but no adapter was found: check that hardware acceleration is on and the GPU driver is installed.'
        : `WebGPU failed: ${(err as Error).message}`;
    setStatus('adapter', text, true);
  }
  updateButtons();
}

/**
 * The autotuner's choices, kept in localStorage per adapter as the CLI keeps them in
 * <cache>/autotune.json, so that each size is timed once per browser, not once per visit.
 */
function rememberTuning(ctx: GpuContext): void {
  const key = `wgpu-style autotune|${ctx.adapter.vendor}|${ctx.adapter.architecture}|${ctx.adapter.description}`;
  const tuning = tuningFor(ctx);
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(key) ?? '{}');
    for (const [k, v] of Object.entries(saved as Record<string, unknown>)) if (typeof v === 'string') tuning.set(k, v);
  } catch {
    // Nothing saved, storage off, or damaged: the autotuner measures again.
  }
  tuning.store = {
    save: (choices) => {
      try {
        localStorage.setItem(key, JSON.stringify(choices));
      } catch {
        // Storage full or off: only costs timing again next visit.
      }
    },
  };
}

/**
 * Whether the page times the conv variants before a size's first step. Not on a software adapter
 * (SwiftShader): there the timing runs every variant of every layer several times, which took
 * 150 s before a 32 px run's first step, far more than the best variant saves. `?autotune=1` (or 0) in
 * the page's address decides instead.
 */
function autotunes(ctx: GpuContext): boolean {
  const asked = new URLSearchParams(location.search).get('autotune'); // ?autotune=1 or 0 overrides (bench/web-step.ts)
  return asked === null ? !ctx.adapter.isFallbackAdapter : asked === '1';
}

async function decodeFile(file: Blob): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = canvas.getContext('2d')!;
  g.drawImage(bitmap, 0, 0);
  const data = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
  return { width: bitmap.width, height: bitmap.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function drawImage(canvas: HTMLCanvasElement, image: RgbaImage, fit = true): void {
  const f = fit ? Math.min(canvas.width / image.width, canvas.height / image.height, 1) : 1;
  if (!fit) [canvas.width, canvas.height] = [image.width, image.height];
  const g = canvas.getContext('2d')!;
  const pixels = new ImageData(new Uint8ClampedArray(image.data), image.width, image.height);
  if (f === 1 && !fit) {
    g.putImageData(pixels, 0, 0);
    return;
  }
  const tmp = new OffscreenCanvas(image.width, image.height);
  tmp.getContext('2d')!.putImageData(pixels, 0, 0);
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.drawImage(tmp, 0, 0, image.width * f, image.height * f);
}

function setupImageInput(kind: 'content' | 'style'): void {
  const input = $<HTMLInputElement>(`${kind}-file`);
  const drop = $(`${kind}-drop`);
  const accept = async (file: File | undefined) => {
    if (!file) return;
    try {
      const image = await decodeFile(file);
      state[kind] = image;
      drawImage($<HTMLCanvasElement>(`${kind}-preview`), image);
      setStatus('status', `${kind} image: ${file.name}, ${image.width}×${image.height}`);
    } catch (err) {
      setStatus('status', `${file.name}: not an image this browser can decode (${(err as Error).message})`, true);
    }
    updateButtons();
  };
  input.addEventListener('change', () => void accept(input.files?.[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    void accept(e.dataTransfer?.files[0]);
  });
}

async function loadWeights(bytes: ArrayBuffer, name: string): Promise<void> {
  try {
    state.weights = await decodeWeights(new Uint8Array(bytes), name);
    const convs = [...state.weights.tensors.keys()].filter((k) => k.endsWith('.weight')).length;
    setStatus(
      'weights-status',
      `${name}: ${convs} convs, input ${state.weights.input.channelOrder}, from ${state.weights.provenance.source ?? '?'}`,
    );
  } catch (err) {
    setStatus('weights-status', (err as Error).message, true);
  }
  updateButtons();
}

async function setupWeights(): Promise<void> {
  const file = $<HTMLInputElement>('weights-file');
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (f) await loadWeights(await f.arrayBuffer(), f.name);
  });
  const select = $<HTMLSelectElement>('server-weights');
  try {
    const list = (await (await fetch('weights/')).json()) as string[];
    for (const name of list) select.add(new Option(name, name));
    if (list.length) select.value = list[0]!;
  } catch {
    // No local server listing: picking a file still works.
  }
  $('load-server-weights').addEventListener('click', async () => {
    if (!select.value)
      return setStatus('weights-status', 'The local server offers no .bin files (run `wgpu-style weights fetch` or convert some).', true);
    setStatus('weights-status', `loading ${select.value}…`);
    const response = await fetch(`weights/${encodeURIComponent(select.value)}`);
    if (!response.ok) return setStatus('weights-status', `${select.value}: HTTP ${response.status}`, true);
    await loadWeights(await response.arrayBuffer(), select.value);
  });
}

async function start(): Promise<void> {
  const { ctx, content, style, weights } = state;
  if (!ctx || !content || !style || !weights) return;
  state.history = [];
  state.result = null;
  state.error = null;
  const controller = new AbortController();
  state.running = controller;
  updateButtons();
  const result = $<HTMLCanvasElement>('result');
  try {
    // The page shows every report and a snapshot every 5 steps.
    const plan = planJob(
      { ...readSettingsForm(), printEvery: 1, saveEvery: 5, autotune: autotunes(ctx) },
      content.width,
      content.height,
      1,
      { bindingBytes: ctx.bindingBytes, bufferBytes: ctx.maxBufferBytes },
    );
    const done = await runStyleJob(ctx, weights, content, [style], plan, {
      signal: controller.signal,
      onProgress: (p) => {
        state.history.push(p);
        drawLossChart(
          $<HTMLCanvasElement>('loss-chart'),
          state.history.map((h, i) => ({ x: i, loss: h.total })),
        );
        setStatus(
          'status',
          `scale ${p.scale}/${p.scales} (${p.width}×${p.height}) step ${p.step}/${p.steps}: loss ${p.total.toPrecision(4)}, ${p.stepSeconds.toFixed(2)} s/step`,
        );
      },
      onSnapshot: (image) => drawImage(result, image, false),
    });
    state.result = done;
    drawImage(result, done.image, false);
    const $download = $<HTMLAnchorElement>('download');
    $download.href = URL.createObjectURL(await new Promise<Blob>((resolve) => result.toBlob((b) => resolve(b!), 'image/png')));
    setStatus(
      'status',
      done.message ? `Stopped: ${done.message}` : `Done in ${done.seconds.toFixed(1)} s: ${done.image.width}×${done.image.height}.`,
      done.stopped === 'diverged',
    );
  } catch (err) {
    setStatus('status', err instanceof OptionError ? optionMessage(err, fieldLabel) : (err as Error).message, true);
  } finally {
    state.running = null;
    updateButtons();
  }
}

function updateButtons(): void {
  const ready = Boolean(state.ctx && state.content && state.style && state.weights);
  $<HTMLButtonElement>('start').disabled = !ready || Boolean(state.running);
  $<HTMLButtonElement>('stop').disabled = !state.running;
  $('download').classList.toggle('disabled', !state.result);
}

buildSettingsForm($('settings'));
setupImageInput('content');
setupImageInput('style');
$('start').addEventListener('click', () => void start());
$('stop').addEventListener('click', () => state.running?.abort());
void setupWeights();
void initGpu();
