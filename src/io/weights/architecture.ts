// Which network a weights file holds, told from its layer names and shapes before anything is
// converted. A file that is VGG-19 (whole, or its first layers) passes; VGG-11/13/16, a VGG with
// batch norm, or a ResNet is refused by name, even when --up-to would stop before the layer where
// it differs (VGG-16's first seven convs have VGG-19's shapes).

import { VGG19_CONVS } from '../../vgg/index.js';
import { show } from '../../util/quote.js';
import { ConvertError } from './convert-error.js';

/** A conv layer as a file names it. Fields the naming scheme does not give are left out. */
export interface FoundConv {
  /** The kernel's name in the file, for messages. */
  name: string;
  /** Its index in `features` (torchvision, Gluon: conv, relu, ..., pool after each block). */
  featureIndex?: number;
  /** Its block, 1–5 (Keras: block3_conv4). */
  block?: number;
  /** Its kernel shape as [out, in, height, width]. */
  shape?: readonly number[];
}

export interface FoundLayout {
  convs: FoundConv[];
  /** The file also holds the classifier, so its feature layers are all there. */
  complete: boolean;
  /** Every name in the file: batch norm and ResNets are told by name. */
  names: readonly string[];
}

interface Config {
  name: string;
  convs: Array<{ featureIndex: number; block: number; cin: number; cout: number }>;
}

/** VGG-11, -13 and -16 (Simonyan & Zisserman's A, B, D) by convs per block; VGG-19 is src/vgg's. */
function config(name: string, perBlock: number[]): Config {
  const widths = [64, 128, 256, 512, 512];
  const convs: Config['convs'] = [];
  let [index, cin] = [0, 3];
  perBlock.forEach((count, b) => {
    for (let j = 0; j < count; j++, index += 2) convs.push({ featureIndex: index, block: b + 1, cin, cout: (cin = widths[b]!) });
    index++; // the pool
  });
  return { name, convs };
}

const VGG19: Config = {
  name: 'VGG-19',
  convs: VGG19_CONVS.map((m) => ({ featureIndex: m.index, block: Number(/^conv(\d)/.exec(m.name)![1]), cin: m.cin, cout: m.cout })),
};
const OTHER_VGGS = [config('VGG-16', [2, 2, 3, 3, 3]), config('VGG-13', [2, 2, 2, 2, 2]), config('VGG-11', [1, 1, 2, 2, 2])];

const BATCH_NORM = /running_mean|running_var|moving_mean|moving_var|batchnorm|(^|[._/])bn\d*([._/]|$)|_bn[._/]|\.gamma$|_gamma$/i;
const RESNET = /resnet|(^|[._/])layer\d[._]|downsample|\.body\.|(^|[._/])stage\d|res\d[a-z]_branch|conv\d_block\d|(^|[._/])shortcut/i;

/** The first way `layout` differs from `config`, or null when it is `config` (or, unless complete, its first layers). */
function difference(layout: FoundLayout, c: Config, batchNorm: boolean): string | null {
  const n = layout.convs.length;
  if (n > c.convs.length || (layout.complete && n < c.convs.length))
    return `it holds ${n} conv layers${layout.complete ? ' and a classifier' : ''}; ${c.name} has ${c.convs.length}`;
  for (const [i, found] of layout.convs.entries()) {
    const want = c.convs[i]!;
    const label = `conv layer ${i + 1} (${show(found.name, 100)})`;
    // Batch norm shifts the feature indices: compare them only without it.
    if (!batchNorm && found.featureIndex !== undefined && found.featureIndex !== want.featureIndex)
      return `${label} is at features.${found.featureIndex}; ${c.name}'s is at features.${want.featureIndex}`;
    if (found.block !== undefined && found.block !== want.block)
      return `${label} is in block ${found.block}; ${c.name}'s is in block ${want.block}`;
    const shape = [want.cout, want.cin, 3, 3];
    if (found.shape && found.shape.join(',') !== shape.join(','))
      return `${label} has shape [${found.shape.join(',')}]; ${c.name}'s has [${shape.join(',')}]`;
  }
  return null;
}

/** Passes a layout that is VGG-19's; otherwise throws a ConvertError that names what the file holds. */
export function checkVgg19(layout: FoundLayout, source: string): void {
  const advice =
    'wgpu-style needs VGG-19 (torchvision vgg19, Gluon vgg19 or Keras VGG19), e.g. `wgpu-style weights fetch --from torchvision`';
  const bn = layout.names.find((name) => BATCH_NORM.test(name));
  const resnet = layout.names.find((name) => RESNET.test(name));
  if (resnet) throw new ConvertError(`${source}: this is a ResNet (it has layers such as ${show(resnet, 100)}), not VGG-19; ${advice}`);
  if (layout.convs.length === 0)
    throw new ConvertError(`${source}: no VGG conv layers found (names such as ${show(layout.names.slice(0, 3), 160)}); ${advice}`);
  const batchNorm = bn !== undefined;
  const vgg19 = difference(layout, VGG19, batchNorm);
  if (vgg19 === null && !batchNorm) return;
  const named = vgg19 === null ? VGG19 : OTHER_VGGS.find((c) => difference(layout, c, batchNorm) === null);
  if (named) {
    const what = batchNorm ? `${named.name}-BN (with batch norm: ${show(bn, 100)})` : named.name;
    throw new ConvertError(`${source}: this is ${what}, not VGG-19; ${advice}`);
  }
  throw new ConvertError(`${source}: not VGG-19: ${vgg19}; ${advice}`);
}
