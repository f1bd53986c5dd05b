// The page's GPU: the browser's adapter, or a compatibility-mode one when the browser offers only
// its software fallback; the autotuner's choices kept per adapter in localStorage.

import shaders from 'virtual:shaders';
import { createContextOn, describeAdapter, NoAdapterError, type GpuContext } from '../gpu/index.js';
import { tuningFor } from '../kernels/index.js';

export interface PageGpu {
  ctx: GpuContext;
  /** 'core', or 'compatibility' when only a compatibility-mode adapter was not a software fallback. */
  featureLevel: 'core' | 'compatibility';
}

const param = (name: string) => new URLSearchParams(location.search).get(name);

/**
 * The adapter to run on. Chromium without a usable GPU offers SwiftShader as its core adapter
 * (7–10 s a step at 32×24 on two cores), while a compatibility-mode adapter on ANGLE can reach a
 * faster driver (Mesa's lavapipe: ~0.3 s; docs/browser.md). So: the core adapter unless it is a
 * fallback, then a compatibility-mode adapter that is not, else the fallback.
 * `?adapter=core` or `?adapter=compat` in the address decides instead.
 */
async function pickAdapter(gpu: GPU): Promise<{ adapter: GPUAdapter; featureLevel: PageGpu['featureLevel'] }> {
  const asked = param('adapter');
  const core = asked === 'compat' ? null : await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (core && (asked === 'core' || !core.info.isFallbackAdapter)) return { adapter: core, featureLevel: 'core' };
  const compat =
    asked === 'core'
      ? null
      : await gpu.requestAdapter({ featureLevel: 'compatibility', powerPreference: 'high-performance' } as GPURequestAdapterOptions);
  if (compat && (!compat.info.isFallbackAdapter || !core)) return { adapter: compat, featureLevel: 'compatibility' };
  if (core) return { adapter: core, featureLevel: 'core' };
  throw new NoAdapterError(`navigator.gpu${asked ? ` (?adapter=${asked})` : ''}`);
}

export async function initPageGpu(gpu: GPU): Promise<PageGpu> {
  const { adapter, featureLevel } = await pickAdapter(gpu);
  const ctx = await createContextOn(adapter, { shaders });
  rememberTuning(ctx);
  return { ctx, featureLevel };
}

export function describePageGpu(g: PageGpu): string {
  const mode = g.featureLevel === 'compatibility' ? ', compatibility mode' : '';
  const untimed = autotunes(g) ? '' : ' — conv variants not timed (?autotune=1 times them)';
  return `GPU: ${describeAdapter(g.ctx.adapter)}${mode}${untimed}`;
}

/**
 * Whether the page times the conv variants before a size's first step: on a core adapter that is
 * not a software fallback. On SwiftShader the timing took 150 s before a 32 px run's first step,
 * and on ANGLE's compatibility path (reached when the core adapter is a fallback, so usually a
 * software driver too) 100 s, far more than the best variant saves. `?autotune=1` or `0` decides instead.
 */
export function autotunes(g: PageGpu): boolean {
  const asked = param('autotune');
  return asked === null ? g.featureLevel === 'core' && !g.ctx.adapter.isFallbackAdapter : asked === '1';
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

/** One sentence for a browser without WebGPU or without an adapter. */
export function noGpuMessage(err: unknown): string {
  if (err === 'no navigator.gpu')
    return 'This browser has no WebGPU (navigator.gpu is missing): use a current Chrome, Edge or Safari, or turn WebGPU on in its settings; the page must be served over https or from localhost.';
  return err instanceof NoAdapterError
    ? 'WebGPU is available but no adapter was found: check that hardware acceleration is on in the browser settings and that the GPU driver is installed.'
    : `WebGPU failed: ${(err as Error).message}`;
}
