// The benchmark's outputs: a table on stdout, bench/results/latest.json, and a self-contained
// HTML page with an SVG bar chart (ours vs peers per kernel).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRecord } from './record.js';

export interface AdapterRecord {
  kind: 'adapter';
  vendor: string;
  architecture: string;
  description: string;
  backend: string;
  peakMatmulGflops: number;
  peakCopyGbps: number;
}

export interface StepRecord {
  kind: 'style-step';
  impl: BenchRecord['impl'];
  /** "128" for 128×128, "100x200" for height × width. */
  size: string;
  secondsPerStep: number | null;
  /** Most GPU bytes allocated at once (the pool's spare buffers included). */
  peakBytes: number | null;
  /** Most GPU bytes live at once: what the step needs. */
  peakLiveBytes?: number | null;
  note: string | null;
}

export interface ShareRecord {
  kind: 'step-share';
  size: number;
  kernel: string;
  ms: number;
  share: number;
}

export interface AutotuneRecord {
  kind: 'autotune';
  size: number;
  key: string;
  chosen: string;
  /** Per variant, when measured in this run; null when the choice came from the cache. */
  ms: Record<string, number> | null;
}

export type Output = Array<BenchRecord | AdapterRecord | StepRecord | ShareRecord | AutotuneRecord>;

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const num = (x: number | null, digits = 1) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(digits));

export function table(records: BenchRecord[], adapter: AdapterRecord, peers: string[]): string {
  const key = (r: BenchRecord) => `${r.size}|${r.op}|${r.pass}|${r.shape.join(',')}`;
  const ours = records.filter((r) => r.impl === 'wgpu-style');
  const byPeer = new Map(records.filter((r) => r.impl !== 'wgpu-style').map((r) => [`${r.impl}|${key(r)}`, r]));
  const lines = [
    `adapter: ${adapter.description} (vendor ${adapter.vendor}, ${adapter.architecture}, ${adapter.backend}); ` +
      `probe: matmul ${adapter.peakMatmulGflops.toFixed(1)} GFLOP/s, copy ${adapter.peakCopyGbps.toFixed(1)} GB/s`,
    [
      pad('size', 5),
      pad('op', 8),
      pad('pass', 12),
      pad('layer', 6),
      pad('shape', 20),
      lpad('ms', 9),
      lpad('GFLOP/s', 8),
      lpad('GB/s', 7),
      lpad('%peak', 6),
      ...peers.map((p) => lpad(`${p}×`, 13)),
    ].join(' '),
  ];
  for (const r of ours) {
    const peak = r.gflops !== null ? r.gflops / adapter.peakMatmulGflops : r.gbps !== null ? r.gbps / adapter.peakCopyGbps : null;
    const ratios = peers.map((p) => {
      const other = byPeer.get(`${p}|${key(r)}`);
      return lpad(other ? `${(other.medianMs / r.medianMs).toFixed(2)}` : '-', 13);
    });
    lines.push(
      [
        pad(String(r.size), 5),
        pad(r.op, 8),
        pad(r.pass, 12),
        pad(r.layer === null ? '-' : String(r.layer), 6),
        pad(`[${r.shape.join(',')}]`, 20),
        lpad(num(r.medianMs, 3), 9),
        lpad(num(r.gflops), 8),
        lpad(num(r.gbps), 7),
        lpad(peak === null ? '-' : `${(peak * 100).toFixed(0)}%`, 6),
        ...ratios,
      ].join(' '),
    );
  }
  lines.push(`(peer× = peer's median time / ours: above 1 means wgpu-style is faster)`);
  return lines.join('\n');
}

export function writeOutputs(dir: string, output: Output): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'latest.json');
  const html = join(dir, 'latest.html');
  writeFileSync(json, `${JSON.stringify(output, null, 1)}\n`);
  writeFileSync(html, chart(output));
  return { json, html };
}

const COLORS: Record<string, string> = { 'wgpu-style': '#d1495b', 'tfjs-webgpu': '#00798c', 'tfjs-wasm': '#edae49', pytorch: '#30638e' };

function chart(output: Output): string {
  const records = output.filter((r): r is BenchRecord => 'impl' in r && !('kind' in r));
  const steps = output.filter((r): r is StepRecord => 'kind' in r && r.kind === 'style-step');
  const adapter = output.find((r): r is AdapterRecord => 'kind' in r && r.kind === 'adapter');
  const groups = new Map<string, BenchRecord[]>();
  for (const r of records) {
    const k = `${r.size}px ${r.op} ${r.pass} [${r.shape.join(',')}]`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const rowHeight = 14;
  let y = 30;
  const max = Math.max(...records.map((r) => r.medianMs), 1e-3);
  const scale = (ms: number) => (Math.log10(ms / max) + 4) / 4; // 4 decades, log scale
  const bars: string[] = [];
  for (const [name, list] of [...groups].filter(([, l]) => l.length > 1 || groups.size < 80)) {
    bars.push(`<text x="0" y="${y + 10}" font-size="10">${escape(name)}</text>`);
    for (const r of list) {
      const w = Math.max(1, 520 * scale(r.medianMs));
      bars.push(
        `<rect x="330" y="${y}" width="${w.toFixed(1)}" height="${rowHeight - 3}" fill="${COLORS[r.impl]}"><title>${r.impl}: ${r.medianMs.toFixed(3)} ms</title></rect>`,
      );
      bars.push(`<text x="${(335 + w).toFixed(1)}" y="${y + 9}" font-size="9">${r.medianMs.toFixed(2)} ms</text>`);
      y += rowHeight;
    }
    y += 6;
  }
  const legend = Object.entries(COLORS)
    .map(
      ([impl, color], i) =>
        `<rect x="${330 + i * 110}" y="5" width="10" height="10" fill="${color}"/><text x="${344 + i * 110}" y="14" font-size="11">${impl}</text>`,
    )
    .join('');
  const stepRows = steps
    .map(
      (s) =>
        `<tr><td>${s.impl}</td><td>${s.size}</td><td>${s.secondsPerStep === null ? '-' : s.secondsPerStep.toFixed(3)}</td><td>${s.peakLiveBytes == null ? '-' : (s.peakLiveBytes / 2 ** 20).toFixed(1)}</td><td>${s.peakBytes === null ? '-' : (s.peakBytes / 2 ** 20).toFixed(1)}</td><td>${escape(s.note ?? '')}</td></tr>`,
    )
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>wgpu-style benchmark</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}</style>
<h1>wgpu-style benchmark</h1>
<p>${adapter ? escape(`${adapter.description} — vendor ${adapter.vendor}, ${adapter.architecture}, ${adapter.backend}; matmul probe ${adapter.peakMatmulGflops.toFixed(1)} GFLOP/s, copy ${adapter.peakCopyGbps.toFixed(1)} GB/s`) : ''}</p>
<h2>Full style step (VGG-19 0..28, seed loss, backward, Adam)</h2>
<table><tr><th>impl</th><th>size (px, or HxW)</th><th>s/step</th><th>GPU MiB live at most</th><th>GPU MiB allocated at most</th><th>note</th></tr>${stepRows}</table>
<h2>Kernels (median ms, log scale; shorter is faster)</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="960" height="${y + 20}">${legend}${bars.join('')}</svg>
`;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
