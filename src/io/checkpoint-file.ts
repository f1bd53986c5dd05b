// Checkpoint files: a style job's state (src/style/job-state.ts) plus what identifies the run
// (digests of its settings, input images and weights), so a resumed run can refuse to go on with
// anything else. Layout: "WGSTCKPT", a u32 (little-endian) header length, a JSON header (with the
// optimiser's numbers and the names of its vectors), then the image and the optimiser's vectors, in
// the header's order, and with --average the moving average's sum last, as f32 (little-endian),
// whose sha256 the header records.

import { usableConvChoices } from '../kernels/autotune.js';
import type { JobState } from '../style/job-state.js';
import type { OptimizerState } from '../optim/types.js';
import type { ReducedImage } from './decode-reduce.js';
import type { StyleOptions } from '../style/job.js';
import { SETTINGS } from '../plan/options.js';
import { RESULT_SETTINGS, type SettingKey } from '../plan/settings.js';
import { UserError } from '../util/errors.js';
import type { VggWeights } from '../vgg/index.js';
import { clip, show } from '../util/quote.js';

const MAGIC = 'WGSTCKPT';
const VERSION = 2;
/** A header nests 5 deep; past this, JSON.stringify and structuredClone of a value would overflow the stack. */
const MAX_HEADER_DEPTH = 32;
/** Differences from the run's identity named in a refusal; more are counted. */
const SHOWN_DIFFERENCES = 4;

/** A checkpoint's name ends so (out.png.ckpt), which no input or output of a run does. */
export const CHECKPOINT_EXTENSION = '.ckpt';

/** Whether these bytes (a file's first 8, or more) start as a checkpoint does. */
export function hasCheckpointSignature(head: Uint8Array): boolean {
  return head.length >= MAGIC.length && new TextDecoder().decode(head.subarray(0, MAGIC.length)) === MAGIC;
}

export interface RunIdentity {
  /** The resolved settings that shape the result (progress and output options excluded). */
  settings: Record<string, unknown>;
  /** sha256 of each input image's pixels, by role: content, style 1…, init. */
  inputs: Record<string, string>;
  weights: string;
}

export interface Checkpoint {
  state: JobState;
  identity: RunIdentity;
  /** How the run was started (the CLI keeps its arguments), so that a resume alone can go on. */
  command: string[];
}

interface Header {
  format: string;
  version: number;
  scale: number;
  step: number;
  evaluations: number;
  width: number;
  height: number;
  tuning: Record<string, string>;
  optimizer: { kind: OptimizerState['kind']; vectors: string[]; numbers: OptimizerState['numbers'] };
  /** With --average: its updates t (its sum is the last plane of the data). */
  average?: { updates: number };
  identity: RunIdentity;
  command: string[];
  sha256: string;
}

export async function encodeCheckpoint(c: Checkpoint): Promise<Uint8Array> {
  const { state } = c;
  const { kind, vectors, numbers } = state.optimizer;
  const names = Object.keys(vectors);
  const planes = [state.image, ...names.map((name) => vectors[name]!), ...(state.average ? [state.average.image] : [])];
  const data = new Float32Array(state.image.length * planes.length);
  planes.forEach((v, i) => data.set(v, i * state.image.length));
  const dataBytes = new Uint8Array(data.buffer);
  const header: Header = {
    format: MAGIC,
    version: VERSION,
    scale: state.scale,
    step: state.step,
    evaluations: state.evaluations,
    width: state.width,
    height: state.height,
    tuning: state.tuning,
    optimizer: { kind, vectors: names, numbers },
    ...(state.average ? { average: { updates: state.average.updates } } : {}),
    identity: c.identity,
    command: c.command,
    sha256: await sha256Hex(dataBytes),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(12 + json.length + dataBytes.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(dataBytes, 12 + json.length);
  return out;
}

export async function decodeCheckpoint(bytes: Uint8Array, file: string): Promise<Checkpoint> {
  const fail = (why: string): never => {
    throw new UserError(`${file}: not a usable wgpu-style checkpoint (${why}); start the run again without --resume`);
  };
  if (bytes.length < 12 || !hasCheckpointSignature(bytes)) fail('no checkpoint signature');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + length > bytes.length) fail(`the header claims ${length} bytes, the file has ${bytes.length}: it is truncated`);
  let header: Header;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + length));
    if (nesting(text) > MAX_HEADER_DEPTH) fail(`its header nests deeper than ${MAX_HEADER_DEPTH} levels`);
    header = JSON.parse(text) as Header;
  } catch (err) {
    if (err instanceof UserError) throw err;
    return fail('its header is not JSON');
  }
  const whole = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (typeof header !== 'object' || header === null || header.format !== MAGIC) fail('its header has no format field');
  if (header.version !== VERSION)
    fail(`version ${typeof header.version === 'number' ? header.version : 'missing'}; this wgpu-style reads version ${VERSION}`);
  if (
    !whole(header.scale, 1) ||
    !whole(header.step, 0) ||
    !whole(header.evaluations, 0) ||
    !whole(header.width, 1) ||
    !whole(header.height, 1)
  )
    fail('bad scale, step or size');
  if (!isOptimizer(header.optimizer)) fail('bad optimizer state');
  const averaged = header.average !== undefined;
  if (averaged && (typeof header.average !== 'object' || header.average === null || !whole(header.average.updates, 1))) fail('bad average');
  if (!isStringRecord(header.tuning) || !Array.isArray(header.command) || !header.command.every((a) => typeof a === 'string'))
    fail('bad tuning or command');
  const tuning = usableConvChoices(header.tuning);
  if ('problem' in tuning) return fail(tuning.problem);
  const id = header.identity;
  if (
    typeof id !== 'object' ||
    id === null ||
    typeof id.weights !== 'string' ||
    !isStringRecord(id.inputs) ||
    typeof id.settings !== 'object' ||
    id.settings === null
  )
    fail('bad identity');
  const plane = 3 * header.width * header.height;
  const names = header.optimizer.vectors;
  const expected = plane * 4 * (1 + names.length + (averaged ? 1 : 0));
  const dataBytes = bytes.subarray(12 + length);
  if (dataBytes.length !== expected)
    fail(
      `it should hold ${expected} bytes of data for a ${header.width}×${header.height} image and ${names.length + (averaged ? 1 : 0)} vectors, it holds ${dataBytes.length}: ` +
        (dataBytes.length < expected ? 'it is truncated' : `${dataBytes.length - expected} trailing bytes follow the data`),
    );
  if ((await sha256Hex(dataBytes)) !== header.sha256) fail('checksum mismatch: the file is corrupt');
  const data = new Float32Array(Uint8Array.from(dataBytes).buffer); // a copy: aligned, and not a view of a pooled Buffer
  const vectors = Object.fromEntries(names.map((name, i) => [name, data.subarray((i + 1) * plane, (i + 2) * plane)]));
  const state: JobState = {
    scale: header.scale,
    step: header.step,
    evaluations: header.evaluations,
    width: header.width,
    height: header.height,
    image: data.subarray(0, plane),
    optimizer: { kind: header.optimizer.kind, vectors, numbers: header.optimizer.numbers },
    tuning: tuning.choices,
    ...(averaged ? { average: { image: data.subarray((names.length + 1) * plane), updates: header.average!.updates } } : {}),
  };
  return { state, identity: id, command: header.command };
}

/**
 * An incremental SHA-256, supplied by the edge (node:crypto's createHash in src/node): the core feeds
 * it images and weights in pieces, so hashing a run copies none of them (WebCrypto's digest copies
 * its whole input, and has no incremental form).
 */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  hex(): string;
}

/** The most bytes handed to a hasher at once. */
const HASH_PIECE_BYTES = 16 * 2 ** 20;

/** The sha256 (hex) of `parts` one after the other, as of their concatenation, fed in pieces. */
function digestOf(newSha256: () => Sha256, parts: Uint8Array[]): string {
  const hash = newSha256();
  for (const part of parts)
    for (let at = 0; at < part.length; at += HASH_PIECE_BYTES) hash.update(part.subarray(at, at + HASH_PIECE_BYTES));
  return hash.hex();
}

/** What identifies a run: settings that shape the result, the input images and the weights. */
export function runIdentity(
  plan: StyleOptions,
  images: Record<string, ReducedImage>,
  weights: VggWeights,
  newSha256: () => Sha256,
): RunIdentity {
  // The plan's values of settings outside the result (RESULT_SETTINGS) are left out, and so is its
  // memory plan (made from --max-memory and this machine's memory).
  const { memory: _m, init, styleMasks: _sm, styleMaskNames: _sn, ...rest } = plan;
  const shaping = Object.entries(rest).filter(([key]) => !(key in SETTINGS) || RESULT_SETTINGS.includes(key as SettingKey));
  const settings = { ...Object.fromEntries(shaping), init: typeof init === 'string' ? init : 'image' } as Record<string, unknown>;
  const inputs: Record<string, string> = {};
  for (const [role, { width, height, data, reducedFrom: from }] of Object.entries(images)) {
    // An image reduced while decoding (decode-reduce.ts) is known by its reduced pixels and its size before.
    const size = `${width}x${height}${from ? ` from ${from.width}x${from.height}` : ''}:`;
    inputs[role] = digestOf(newSha256, [new TextEncoder().encode(size), data]);
  }
  const parts: Uint8Array[] = [new TextEncoder().encode(JSON.stringify(weights.input))];
  for (const [name, t] of weights.tensors)
    parts.push(
      new TextEncoder().encode(`${name}:${t.shape.join('x')}:`),
      new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    );
  return { settings: JSON.parse(JSON.stringify(settings)) as Record<string, unknown>, inputs, weights: digestOf(newSha256, parts) };
}

/**
 * How a checkpoint's run differs from this one, in words (the first few, each value cut short, then
 * how many more); empty when they are the same.
 */
export function identityDifferences(saved: RunIdentity, now: RunIdentity): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(saved.settings), ...Object.keys(now.settings)]);
  for (const key of keys) out.push(...settingDifferences(plain(key), saved.settings[key], now.settings[key]));
  const roles = new Set([...Object.keys(saved.inputs), ...Object.keys(now.inputs)]);
  for (const role of roles) {
    if (saved.inputs[role] !== now.inputs[role])
      out.push(
        !saved.inputs[role]
          ? `there is now a ${plain(role)} image`
          : !now.inputs[role]
            ? `the ${plain(role)} image is missing`
            : `the ${plain(role)} image differs`,
      );
  }
  if (saved.weights !== now.weights) out.push('the weights differ');
  return out.length > SHOWN_DIFFERENCES ? [...out.slice(0, SHOWN_DIFFERENCES), `${out.length - SHOWN_DIFFERENCES} more differences`] : out;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * A setting that differs, in words; an object (the loss) by its fields that differ, one level down,
 * so that the line shows the difference (whole, two long objects cut short read the same).
 */
function settingDifferences(name: string, a: unknown, b: unknown, fields = true): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (fields && isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      settingDifferences(`${name}.${plain(k)}`, Object.hasOwn(a, k) ? a[k] : undefined, Object.hasOwn(b, k) ? b[k] : undefined, false),
    );
  }
  return [`setting ${name} was ${a === undefined ? 'unset' : show(a)}, now ${b === undefined ? 'unset' : show(b)}`];
}

/** A name read from the file, for a message: on one line (escaped as in JSON) and cut short. */
function plain(name: string): string {
  return clip(JSON.stringify(name).slice(1, -1), 40);
}

/** How deep lists and objects nest in a JSON text (brackets inside strings not counted); no recursion. */
function nesting(text: string): number {
  let [depth, deepest, inString] = [0, 0, false];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

function isOptimizer(v: unknown): v is Header['optimizer'] {
  if (typeof v !== 'object' || v === null) return false;
  const { kind, vectors, numbers } = v as Record<string, unknown>;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  return (
    (kind === 'adam' || kind === 'lbfgs') &&
    Array.isArray(vectors) &&
    vectors.every((name) => typeof name === 'string') &&
    new Set(vectors).size === vectors.length &&
    typeof numbers === 'object' &&
    numbers !== null &&
    Object.values(numbers).every((x) => finite(x) || (Array.isArray(x) && x.every(finite)))
  );
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
