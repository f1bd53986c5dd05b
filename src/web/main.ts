// The browser edge: the page a visitor uses. Example images one click away (or their own), weights
// downloaded once and kept by the browser, the settings from the option schema, then the same
// style job as the CLI (src/style/job.ts) with progress, Stop, a before/after view and a download.

import type { GpuContext } from '../gpu/index.js';
import { planJob } from '../plan/plan-job.js';
import type { RgbaImage } from '../style/image-tensor.js';
import { runStyleJob, type StyleProgress, type StyleResult } from '../style/job.js';
import { OptionError, optionMessage } from '../util/errors.js';
import type { VggWeights } from '../vgg/index.js';
import { drawLossChart } from './chart.js';
import { setSplit, setupCompare, showCompare } from './compare.js';
import { autotunes, describePageGpu, initPageGpu, noGpuMessage, type PageGpu } from './gpu-init.js';
import { decodeImage, drawImage, drawPreview, EXAMPLES, fetchExample, onImageFile, onPastedImage, type ImageKind } from './images.js';
import { setupMaskPicker } from './masks.js';
import { setupPresetMenu } from './presets.js';
import { phaseLine, progressLine } from './progress.js';
import { buildSettingsForm, fieldLabel, readSettingsForm } from './settings-form.js';
import { setupWeights } from './weights-panel.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface PageState {
  gpu: PageGpu | null;
  ctx: GpuContext | null;
  content: RgbaImage | null;
  style: RgbaImage | null;
  weights: VggWeights | null;
  /** Where the weights came from; `cacheHits` counts loads from this browser's cache. */
  weightsFrom: 'cache' | 'download' | 'file' | 'server' | null;
  cacheHits: number;
  history: StyleProgress[];
  running: AbortController | null;
  result: StyleResult | null;
  error: string | null;
}

/** Exposed for people poking at the page and for the Playwright tests. */
const state: PageState = {
  gpu: null,
  ctx: null,
  content: null,
  style: null,
  weights: null,
  weightsFrom: null,
  cacheHits: 0,
  history: [],
  running: null,
  result: null,
  error: null,
};
(globalThis as unknown as { wgpuStyle: PageState }).wgpuStyle = state;

function setStatus(id: string, text: string, error = false): void {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('error', error);
  if (error) state.error = text;
}

async function initGpu(): Promise<void> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  try {
    if (!gpu) throw 'no navigator.gpu';
    state.gpu = await initPageGpu(gpu);
    state.ctx = state.gpu.ctx;
    setStatus('adapter', describePageGpu(state.gpu));
  } catch (err) {
    setStatus('adapter', noGpuMessage(err), true);
  }
  updateButtons();
}

function setImage(kind: ImageKind, image: RgbaImage, name: string): void {
  state[kind] = image;
  drawPreview($<HTMLCanvasElement>(`${kind}-preview`), image);
  setStatus('status', `${kind} image: ${name}, ${image.width}×${image.height}`);
  updateButtons();
}

async function acceptFile(kind: ImageKind, file: Blob, name: string): Promise<void> {
  try {
    setImage(kind, await decodeImage(file), name);
  } catch (err) {
    setStatus('status', `${name}: not an image this browser can decode (${(err as Error).message})`, true);
  }
}

function setupImages(): void {
  const row = $('examples');
  for (const example of EXAMPLES) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'example';
    button.id = `example-${example.file.replace(/\W.*$/, '')}`;
    button.innerHTML = `<img alt="" src="examples/${example.file}" width="96" /><span>${example.title}</span><small>${example.kind} · ${example.credit}</small>`;
    button.addEventListener('click', () =>
      fetchExample(example.file).then(
        (image) => setImage(example.kind, image, example.title),
        (err: Error) => setStatus('status', err.message, true),
      ),
    );
    row.append(button);
  }
  for (const kind of ['content', 'style'] as const)
    onImageFile($(`${kind}-drop`), $<HTMLInputElement>(`${kind}-file`), (file) => void acceptFile(kind, file, file.name));
  onPastedImage((file) => void acceptFile('content', file, 'pasted image'));
}

function onProgress(p: StyleProgress, totalSteps: number, doneBefore: number[]): void {
  state.history.push(p);
  drawLossChart(
    $<HTMLCanvasElement>('loss-chart'),
    state.history.map((h, i) => ({ x: i, loss: h.total })),
  );
  const bar = $<HTMLProgressElement>('progress');
  [bar.max, bar.value] = [totalSteps, doneBefore[p.scale - 1]! + p.step];
  setStatus('status', progressLine(p, state.history, totalSteps, doneBefore));
}

async function start(): Promise<void> {
  const { ctx, content, style, weights, gpu } = state;
  if (!ctx || !gpu || !content || !style || !weights) return;
  Object.assign(state, { history: [], result: null, error: null });
  const controller = new AbortController();
  state.running = controller;
  updateButtons();
  const result = $<HTMLCanvasElement>('result');
  try {
    // The page shows every report and a snapshot every 5 steps; a style mask goes with the style.
    const styleMasks = maskPicker.masks();
    const plan = planJob(
      { ...readSettingsForm(), printEvery: 1, saveEvery: 5, autotune: autotunes(gpu) },
      content.width,
      content.height,
      1,
      {
        bindingBytes: ctx.bindingBytes,
        bufferBytes: ctx.maxBufferBytes,
        styleMaskCount: styleMasks?.length,
      },
    );
    const steps = plan.scales.map((s) => s.steps);
    const doneBefore = steps.map((_, i) => steps.slice(0, i).reduce((a, b) => a + b, 0));
    const total = doneBefore.at(-1)! + steps.at(-1)!;
    setStatus('status', 'Preparing the GPU (the first run compiles its shaders)…');
    const done = await runStyleJob(ctx, weights, content, [style], styleMasks ? { ...plan, styleMasks } : plan, {
      signal: controller.signal,
      onProgress: (p) => onProgress(p, total, doneBefore),
      onPhase: (p) => setStatus('status', phaseLine(p)),
      onSnapshot: (image) => {
        setSplit(result, 100);
        drawImage(result, image);
      },
    });
    state.result = done;
    showCompare($<HTMLCanvasElement>('before'), result, content, done.image);
    setSplit(result, Number($<HTMLInputElement>('compare').value));
    const blob = await new Promise<Blob>((resolve) => result.toBlob((b) => resolve(b!), 'image/png'));
    $<HTMLAnchorElement>('download').href = URL.createObjectURL(blob);
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

function missing(): string | null {
  if (!state.ctx) return null; // the adapter line says why
  const lacking = [!state.content && 'a content image', !state.style && 'a style image', !state.weights && 'the weights'].filter(Boolean);
  return lacking.length ? `To start, choose ${lacking.join(', ').replace(/, ([^,]*)$/, ' and $1')}.` : null;
}

function updateButtons(): void {
  const ready = Boolean(state.ctx && state.content && state.style && state.weights);
  $<HTMLButtonElement>('start').disabled = !ready || Boolean(state.running);
  $<HTMLButtonElement>('stop').disabled = !state.running;
  const download = $('download');
  download.classList.toggle('disabled', !state.result);
  download.setAttribute('aria-disabled', String(!state.result));
  if (!state.running && !state.result && !state.error) setStatus('status', missing() ?? 'Ready: press Start.');
}

buildSettingsForm($('settings'), $('settings-advanced'));
setupPresetMenu($<HTMLSelectElement>('quality'));
setupImages();
const maskPicker = setupMaskPicker((text, error) => setStatus('status', text, error));
setupCompare($<HTMLInputElement>('compare'), $<HTMLCanvasElement>('result'));
$('start').addEventListener('click', () => void start());
$('stop').addEventListener('click', () => state.running?.abort());
void setupWeights({
  loaded: (weights, from, name) => {
    Object.assign(state, { weights, weightsFrom: from, error: null });
    if (from === 'cache') state.cacheHits++;
    const convs = [...weights.tensors.keys()].filter((k) => k.endsWith('.weight')).length;
    setStatus('weights-status', `Weights ready: ${name} (${convs} convs, input ${weights.input.channelOrder}).`);
    updateButtons();
  },
  status: (text, error) => setStatus('weights-status', text, error),
});
void initGpu();
