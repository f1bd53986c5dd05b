// The Node edge of the GPU runtime: Dawn's bindings from the `webgpu` package.
// Choose a backend or adapter with options or WGPU_STYLE_BACKEND / WGPU_STYLE_ADAPTER.

import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import {
  createContextOn,
  NoAdapterError,
  NullBackendError,
  requestAdapter,
  UnknownAdapterError,
  UnknownBackendError,
  type AdapterListing,
  type DeviceSetting,
  type GpuContext,
} from '../gpu/index.js';
import { tuningFor } from '../kernels/index.js';
import { warning } from '../util/errors.js';
import { loadShaders } from './shaders.js';
import { cacheDir, writeFileAtomic } from './weights-files.js';

export interface NodeGpuOptions {
  /** Dawn backend: 'vulkan', 'metal', 'd3d12', 'opengl', 'opengles', 'null'. */
  backend?: string;
  /** Substring of the adapter name (an unknown one lists the names). */
  adapter?: string;
  powerPreference?: GPUPowerPreference;
  /** The work must really run: refuse Dawn's null backend, which accepts every dispatch and computes nothing. */
  compute?: boolean;
  /** Where warnings go (an autotune.json that cannot be read); default stderr. */
  warn?: (message: string) => void;
}

/** Dawn's backends, should its own list (in the message for an unknown one) not be readable. */
const DAWN_BACKENDS = ['null', 'webgpu', 'd3d11', 'd3d12', 'metal', 'vulkan', 'opengl', 'opengles'];
/** The main thread's nice value once the device exists (see createNodeContext). */
const MAIN_THREAD_NICE = 10;
/** What Dawn uses when no backend is named (dawn/node/binding/GPU.cpp). */
const DEFAULT_BACKEND = process.platform === 'win32' ? 'd3d12' : process.platform === 'darwin' ? 'metal' : 'vulkan';

// Dawn's instance must outlive every await on it: if it is garbage-collected, the next
// mapAsync or onSubmittedWorkDone crashes the process. Keep each one referenced here.
const liveInstances = new Set<GPU>();
let globalsInstalled = false;

export async function createNodeContext(options: NodeGpuOptions = {}): Promise<GpuContext> {
  if (!globalsInstalled) {
    Object.assign(globalThis, globals);
    globalsInstalled = true;
  }
  const backend = setting(options.backend, 'WGPU_STYLE_BACKEND');
  const adapterName = setting(options.adapter, 'WGPU_STYLE_ADAPTER');
  if (options.compute && backend?.value.toLowerCase() === 'null') throw new NullBackendError(backend, DEFAULT_BACKEND);
  const flags: string[] = [];
  if (backend) flags.push(`backend=${backend.value}`);
  if (adapterName) flags.push(`adapter=${adapterName.value}`);
  const gpu = create(flags) as GPU;
  liveInstances.add(gpu);
  const tried = [
    backend ? `backend ${backend.value}` : `Dawn's default backend here (${DEFAULT_BACKEND})`,
    adapterName ? `adapter matching "${adapterName.value}"` : '',
  ]
    .filter(Boolean)
    .join(', ');
  let adapter: GPUAdapter;
  try {
    adapter = await withoutDawnNoise(() => requestAdapter(gpu, { powerPreference: options.powerPreference, tried }));
  } catch (err) {
    liveInstances.delete(gpu);
    throw err instanceof NoAdapterError ? await diagnose(err, backend, adapterName) : err;
  }
  const ctx = await createContextOn(adapter, { shaders: loadShaders() });
  attachTuningFile(ctx, options.warn ?? ((message) => console.error(warning(message))));
  // While a Dawn promise is pending the main thread spins; on a software adapter that steals a
  // core from the driver's worker threads (already created, so they keep their priority). So the
  // main thread runs at a lower priority, but not the lowest: at nice 19 another process on the
  // same cores starved it (recording a 7 ms step took 1.1-1.6 s beside two busy loops, the step
  // 1.3-1.7 s; at nice 10, 0.18 s and 0.48-0.75 s; alone both ran 0.37-0.51 s: docs/benchmarks.md).
  try {
    setPriority(0, MAIN_THREAD_NICE);
  } catch {
    // Not permitted everywhere; only costs speed.
  }
  return ctx;
}

function setting(value: string | undefined, env: string): DeviceSetting | undefined {
  if (value) return { value };
  const fromEnv = process.env[env];
  return fromEnv ? { value: fromEnv, env } : undefined;
}

/** Turns Dawn's refusal into what was wrong, with the backends and adapters that exist. */
async function diagnose(err: NoAdapterError, backend?: DeviceSetting, adapter?: DeviceSetting): Promise<Error> {
  const detail = err.detail ?? '';
  const available = await listAdapters();
  if (backend && /unrecognised backend/i.test(detail)) return new UnknownBackendError(backend, parseBackends(detail), available);
  if (adapter && /Available adapters|no adapter with backend|no suitable backends/i.test(detail)) {
    return new UnknownAdapterError(adapter, backend?.value.toLowerCase() ?? DEFAULT_BACKEND, available);
  }
  return new NoAdapterError(err.tried, err.detail, available);
}

function parseBackends(detail: string): string[] {
  const list = /Possible backends\s*:\s*(.*)/i.exec(detail)?.[1] ?? '';
  const names = [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  return names.length > 0 ? names : DAWN_BACKENDS;
}

/** Every adapter Dawn finds, on every backend (a name that matches nothing makes Dawn list them). */
export async function listAdapters(): Promise<AdapterListing[]> {
  const noSuchName = 'adapter=\u0001';
  const known = await dawnRefusal(['backend=\u0001']).then((detail) => parseBackends(detail ?? ''));
  const found: AdapterListing[] = [];
  // Dawn's webgpu backend runs on top of another WebGPU implementation, which Node does not have.
  for (const backend of known.filter((b) => b !== 'webgpu')) {
    const detail = await dawnRefusal([`backend=${backend}`, noSuchName]);
    for (const m of (detail ?? '').matchAll(/^\s*\* backend: '([^']*)', name: '(.*)'\s*$/gm)) found.push({ backend: m[1]!, name: m[2]! });
  }
  return found;
}

/** The message Dawn rejects requestAdapter with under these flags; null if it does not. */
async function dawnRefusal(flags: string[]): Promise<string | null> {
  const gpu = create(flags) as GPU;
  try {
    await withoutDawnNoise(() => gpu.requestAdapter());
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Dawn prints "Warning: maxDynamic{Uniform,Storage}BuffersPerPipelineLayout artificially reduced
 * from 1000000 to 16" to stderr when it first lists a Vulkan driver that reports more dynamic
 * buffers than Dawn supports (lavapipe does). It is printed while Dawn gathers the adapter's
 * limits, before any limit is requested, from C++ (no log callback, no toggle). So `requestAdapter`
 * (which does the listing synchronously) runs with file descriptor 2 on a temporary file, and
 * what Dawn printed there, less those two lines, is passed on to stderr. Node cannot dup(), so
 * stderr is reopened through /proc/self/fd: only on Linux, and only where a reopened descriptor
 * writes where the original did (a pipe, a terminal, /dev/null, a file opened for appending);
 * elsewhere nothing changes.
 */
function withoutDawnNoise<T>(fn: () => T): T {
  const saved = reopenStderr();
  if (saved === null) return fn();
  const capture = join(tmpdir(), `wgpu-style-dawn-${process.pid}-${randomBytes(4).toString('hex')}.log`);
  let redirected = false;
  try {
    closeSync(2);
    const fd = openSync(capture, 'w+', 0o600); // the lowest free descriptor: 2
    redirected = fd === 2;
    if (!redirected) closeSync(fd);
  } catch {
    // Keep stderr: restored below.
  }
  try {
    return fn();
  } finally {
    if (redirected) closeSync(2);
    const restored = openSync(`/proc/self/fd/${saved}`, REOPEN_FLAGS); // 2 again
    if (restored !== 2) closeSync(restored);
    closeSync(saved);
    if (redirected) passOn(capture);
  }
}

const REOPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY;

/** A second descriptor for what stderr writes to, if reopening it is safe here; else null. */
function reopenStderr(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = fstatSync(2);
    // A file written at an offset shares that offset with the shell and stdout (2>&1): a reopened
    // descriptor would write elsewhere in it. One opened for appending (2>>) always writes at the end.
    const appends = () =>
      (Number.parseInt(/^flags:\s*(\d+)/m.exec(readFileSync('/proc/self/fdinfo/2', 'utf8'))?.[1] ?? '0', 8) & constants.O_APPEND) !== 0;
    if (!(stat.isFIFO() || stat.isCharacterDevice() || (stat.isFile() && appends()))) return null;
    return openSync('/proc/self/fd/2', REOPEN_FLAGS);
  } catch {
    return null; // no stderr, or a socket
  }
}

const DAWN_NOISE =
  /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

function passOn(capture: string): void {
  try {
    const text = readFileSync(capture, 'utf8');
    const kept = text
      .split('\n')
      .filter((line) => !DAWN_NOISE.test(line))
      .join('\n');
    if (kept.trim()) writeSync(2, kept.endsWith('\n') ? kept : `${kept}\n`);
  } catch {
    // Nothing captured.
  } finally {
    rmSync(capture, { force: true });
  }
}

type TuningSections = Record<string, Record<string, string>>;

/**
 * Autotuning choices persist in <cache>/autotune.json, one section per adapter, so the variants
 * are measured once per machine. A damaged file is reported once, ignored and rewritten.
 */
function attachTuningFile(ctx: GpuContext, warn: (message: string) => void): void {
  const file = join(cacheDir(), 'autotune.json');
  const adapterKey = `${ctx.adapter.vendor}|${ctx.adapter.architecture}|${ctx.adapter.description}`;
  const write = (sections: TuningSections) => {
    try {
      writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(sections, null, 1)));
    } catch {
      // A read-only cache only costs re-tuning next time.
    }
  };
  const first = readTuningFile(file);
  if (first === null) {
    warn(`${file} is not a tuning file this version can read (damaged?); ignoring it and writing a fresh one`);
    write({});
  }
  const tuning = tuningFor(ctx);
  for (const [key, variant] of Object.entries(first?.[adapterKey] ?? {})) tuning.set(key, variant);
  tuning.store = {
    save: (choices) => write({ ...readTuningFile(file), [adapterKey]: choices }),
  };
}

/** The file's sections: {} when there is no file, null when it cannot be read or is not one. */
function readTuningFile(file: string): TuningSections | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? {} : null;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    if (isRecord(parsed) && Object.values(parsed).every((s) => isRecord(s) && Object.values(s).every((v) => typeof v === 'string'))) {
      return parsed as TuningSections;
    }
  } catch {
    // Not JSON.
  }
  return null;
}
