// What PyTorch and MXNet/Gluon files share once their containers are read: named tensors in
// torchvision's layout (OIHW kernels) and input convention (RGB, 0..1, ImageNet mean and std).
// The architecture is checked from names and shapes first; then only the convs asked for are
// read, so a classifier (VGG-19's first Linear is 400 MB) is never loaded.

import { TORCHVISION_INPUT, VGG19_CONVS, type VggWeights, type WeightTensor } from '../../vgg/index.js';
import { checkVgg19, type FoundConv } from './architecture.js';
import { show } from '../../util/quote.js';
import { ConvertError } from './convert-error.js';
import { checkValues, convsUpTo } from './keras.js';

export interface NamedTensor {
  shape: number[];
  /** As the file names it: "float32", "float16", ... */
  dtype: string;
  /** The values in row-major order, read from the file when asked. */
  read(): Promise<Float32Array>;
}

/** A conv layer's weight (FoundConv.name) and bias names. */
export interface ConvNames extends FoundConv {
  bias: string;
}

export const TORCHVISION_CONVENTION = 'torchvision: RGB, 0-1, minus ImageNet mean, divided by std';

/**
 * Convs named `features.N.weight` (torchvision's VGG; Gluon's since save_parameters), with
 * DataParallel's `module.` in front, or `N.weight` (a `features` module's own state dict).
 */
export function featuresConvs(tensors: ReadonlyMap<string, NamedTensor>): ConvNames[] {
  const convs: ConvNames[] = [];
  for (const [name, t] of tensors) {
    const match = /^((?:module\.)?(?:features\.)?)(\d+)\.weight$/.exec(name);
    if (!match || t.shape.length !== 4) continue;
    convs.push({ name, bias: `${match[1]}${match[2]}.bias`, featureIndex: Number(match[2]), shape: t.shape });
  }
  return convs.sort((a, b) => a.featureIndex! - b.featureIndex!);
}

/** A file with a fully connected layer (a 2-D weight) holds the classifier, so its features are complete. */
export function hasClassifier(tensors: ReadonlyMap<string, NamedTensor>): boolean {
  return [...tensors].some(([name, t]) => /weight$/.test(name) && t.shape.length === 2);
}

export interface ConvertOptions {
  source: string;
  upTo?: number;
  provenance: Record<string, string>;
}

/** Checks the architecture, then reads the convs up to `upTo` (default: all 16) in torchvision's convention. */
export async function convertConvs(
  tensors: ReadonlyMap<string, NamedTensor>,
  convs: readonly ConvNames[],
  options: ConvertOptions,
): Promise<VggWeights> {
  const { source } = options;
  checkVgg19({ convs: [...convs], complete: hasClassifier(tensors), names: [...tensors.keys()] }, source);
  const out = new Map<string, WeightTensor>();
  for (const layer of convsUpTo(options.upTo)) {
    const at = VGG19_CONVS.indexOf(layer);
    const names = convs[at];
    if (!names) {
      throw new ConvertError(`${source}: holds ${convs.length} conv layers, the first of VGG-19's; ${layer.name} is not among them`, {
        upTo: layer.index > 0 ? layer.index - 1 : undefined,
      });
    }
    const weight = await readTensor(tensors, names.name, [layer.cout, layer.cin, 3, 3], source);
    const bias = await readTensor(tensors, names.bias, [layer.cout], source);
    out.set(`${layer.name}.weight`, weight);
    out.set(`${layer.name}.bias`, bias);
  }
  return {
    architecture: 'vgg19',
    tensors: out,
    input: { ...TORCHVISION_INPUT },
    provenance: { source, ...options.provenance, inputConvention: TORCHVISION_CONVENTION },
  };
}

async function readTensor(tensors: ReadonlyMap<string, NamedTensor>, name: string, shape: number[], source: string): Promise<WeightTensor> {
  const t = tensors.get(name);
  if (!t) throw new ConvertError(`${source}: there is no ${show(name, 100)}, which VGG-19's layer needs; the file is incomplete`);
  if (t.shape.join(',') !== shape.join(','))
    throw new ConvertError(`${source}: ${show(name, 100)} has shape ${show(t.shape)}, expected [${shape}]: not VGG-19's`);
  if (t.dtype !== 'float32') {
    throw new ConvertError(
      `${source}: ${show(name, 100)} is ${show(t.dtype)}; only float32 weights are read. Convert the model to float32 and save it again`,
    );
  }
  const data = await t.read();
  checkValues(
    data,
    shape.reduce((a, b) => a * b, 1),
    show(name, 100),
    source,
  );
  return { shape, data };
}
