// TensorFlow.js layers format (model.json + binary shards) -> VggWeights. Reads shards through a
// callback so it runs anywhere. Missing shards are an error that lists them, unless every shard
// the requested layers need is present (convert a prefix with `upTo`); it never fills gaps.

import { kerasName, type VggModule, type WeightTensor } from '../../vgg/index.js';
import { isCountList, isRecord } from './checks.js';
import { show } from '../../util/quote.js';
import { checkVgg19 } from './architecture.js';
import { ConvertError } from './convert-error.js';
import { checkBias, convsUpTo, hwioToOihw, kerasLayout, kerasWeights } from './keras.js';

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

/** Returns a shard's bytes, or null when the file does not exist. */
export type ShardReader = (path: string) => Promise<Uint8Array | null>;

export async function convertTfjs(modelJson: unknown, readShard: ShardReader, options: { upTo?: number; source?: string } = {}) {
  const source = options.source ?? 'model.json';
  const manifest = checkManifest(modelJson, source);
  const layerNames = [...new Set(manifest.flatMap((g) => g.weights.map((w) => w.name.split('/')[0]!)))];
  checkVgg19(kerasLayout(layerNames), source);
  const layers = convsUpTo(options.upTo);
  const groups = layers.map((layer) => ({ layer, group: findGroup(manifest, layer, source) }));

  // Find every missing shard before reading anything, so the error lists them all.
  const shards = new Map<string, Uint8Array | null>();
  for (const { group } of groups) for (const path of group.paths) if (!shards.has(path)) shards.set(path, await readShard(path));
  const missing = groups.filter(({ group }) => group.paths.some((p) => !shards.get(p)));
  if (missing.length > 0) {
    const files = [...new Set(missing.flatMap(({ group }) => group.paths.filter((p) => !shards.get(p))))];
    const first = missing[0]!.layer;
    throw new ConvertError(
      `${source}: ${files.length} shard file(s) are missing: ${files.join(', ')}; they hold ` +
        `${missing.map(({ layer }) => kerasName(layer.name)).join(', ')}`,
      { upTo: first.index > 0 ? first.index - 1 : undefined },
    );
  }

  const tensors = new Map<string, WeightTensor>();
  for (const { layer, group } of groups) {
    const values = readGroup(group, layer, shards, source);
    const kernel = values.get(weightName(group, layer, 'kernel'))!;
    const bias = values.get(weightName(group, layer, 'bias'))!;
    tensors.set(`${layer.name}.weight`, hwioToOihw(kernel.data, kernel.shape, layer, source));
    tensors.set(`${layer.name}.bias`, checkBias(bias.data, bias.shape, layer, source));
  }
  return kerasWeights(tensors, { source, format: 'tfjs-layers', converter: 'wgpu-style convertTfjs' });
}

const strip = (name: string) => name.replace(/:0$/, '');

function weightName(group: ManifestGroup, layer: VggModule, kind: 'kernel' | 'bias'): string {
  return strip(group.weights.find((w) => strip(w.name) === `${kerasName(layer.name)}/${kind}`)!.name);
}

/** The manifest's groups, each field checked: paths are file names beside model.json, shapes whole numbers. */
function checkManifest(modelJson: unknown, source: string): ManifestGroup[] {
  const manifest = isRecord(modelJson) ? modelJson.weightsManifest : undefined;
  if (!Array.isArray(manifest)) throw new ConvertError(`${source}: no weightsManifest; is this a TensorFlow.js layers model?`);
  const bad = (where: string, value: unknown, expected: string): never => {
    throw new ConvertError(`${source}: weightsManifest${where} is ${show(value)}, expected ${expected}; the model.json is corrupt`);
  };
  manifest.forEach((group: unknown, g) => {
    if (!isRecord(group)) return bad(`[${g}]`, group, 'an object with paths and weights');
    if (!Array.isArray(group.paths)) bad(`[${g}].paths`, group.paths, 'a list of shard file names');
    (group.paths as unknown[]).forEach((p, i) => {
      if (!isShardName(p)) bad(`[${g}].paths[${i}]`, p, 'a file name beside model.json');
    });
    if (!Array.isArray(group.weights)) bad(`[${g}].weights`, group.weights, 'a list');
    (group.weights as unknown[]).forEach((w, i) => {
      const at = `[${g}].weights[${i}]`;
      if (!isRecord(w)) return bad(at, w, 'an object with name, shape and dtype');
      if (typeof w.name !== 'string') bad(`${at}.name`, w.name, 'a string');
      if (!isCountList(w.shape)) bad(`${at}.shape`, w.shape, 'a list of whole numbers');
      if (typeof w.dtype !== 'string') bad(`${at}.dtype`, w.dtype, '"float32"');
    });
  });
  return manifest as ManifestGroup[];
}

/** A relative path that stays in model.json's folder: no "..", not absolute, no URL scheme, no control characters. */
function isShardName(path: unknown): path is string {
  return (
    typeof path === 'string' &&
    path.length > 0 &&
    path.length <= 255 &&
    !/^[/\\]|^[a-zA-Z][\w+.-]*:|[\u0000-\u001f\u007f]/.test(path) &&
    !path.split(/[/\\]/).some((part) => part === '..' || part === '' || part === '.')
  );
}

function findGroup(manifest: ManifestGroup[], layer: VggModule, source: string): ManifestGroup {
  const keras = kerasName(layer.name);
  const group = manifest.find((g) => g.weights.some((w) => strip(w.name) === `${keras}/kernel`));
  if (!group || !group.weights.some((w) => strip(w.name) === `${keras}/bias`)) {
    throw new ConvertError(`${source}: the weightsManifest has no ${keras}/kernel and ${keras}/bias; is this Keras's VGG-19?`);
  }
  return group;
}

/** Concatenates a group's shards and slices its weights in manifest order. */
function readGroup(group: ManifestGroup, layer: VggModule, shards: Map<string, Uint8Array | null>, source: string) {
  const parts = group.paths.map((p) => shards.get(p)!);
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const expected = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  for (const w of group.weights) {
    if (w.dtype !== 'float32' || w.quantization) {
      throw new ConvertError(
        `${source}: ${show(w.name)} is ${show(w.dtype)}${w.quantization ? ' (quantized)' : ''}; only unquantized float32 is supported`,
      );
    }
  }
  if (total !== expected) {
    throw new ConvertError(
      `${source}: shards ${group.paths.join(', ')} hold ${total} bytes but their weights need ${expected}; a shard is truncated or corrupt, or the manifest's shapes are not ${kerasName(layer.name)}'s`,
    );
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.byteLength;
  }
  const values = new Map<string, { shape: number[]; data: Float32Array }>();
  offset = 0;
  for (const w of group.weights) {
    const count = w.shape.reduce((a, b) => a * b, 1);
    values.set(strip(w.name), { shape: w.shape, data: new Float32Array(bytes.buffer.slice(offset, offset + count * 4)) });
    offset += count * 4;
  }
  return values;
}
