#!/usr/bin/env python3
"""Writes the PyTorch fixtures in test/fixtures/weights/ with the real writer, torch.save.

    python3 scripts/make-torch-fixtures.py          (needs torch; the tests do not)
    npx prettier --write test/fixtures/weights/*.json

Each file is small: VGG-19's first block at its real shapes, or whole networks whose tensors are
expanded views (stride 0) of a few values, which torch.save stores as the small storage plus the
strides. manifest-torch.json records every tensor's shape and the sha256 of its values as
contiguous little-endian float32, so a test can check the reader bit for bit without torch.
"""

import collections
import hashlib
import json
import os
import sys

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'weights')
VGG = {  # convs per block
    'vgg19': [2, 2, 4, 4, 4],
    'vgg16': [2, 2, 3, 3, 3],
}
WIDTHS = [64, 128, 256, 512, 512]


def conv_shapes(blocks, batch_norm=False):
    """(features index, cout, cin) of each conv, numbered as torchvision's VGG numbers them."""
    shapes, index, cin = [], 0, 3
    for b, count in enumerate(blocks):
        for _ in range(count):
            shapes.append((index, WIDTHS[b], cin))
            cin = WIDTHS[b]
            index += 3 if batch_norm else 2  # conv, [bn,] relu
        index += 1  # pool
    return shapes


def special(t):
    """Values a reader must keep bit for bit: -0, the smallest subnormal, the largest float32, 1/3."""
    flat = t.view(-1)
    flat[:4] = torch.tensor([-0.0, 1e-45, 3.4028234663852886e38, 1 / 3], dtype=torch.float32)
    return t


def block1(generator):
    """features.0 and features.2 (conv1_1, conv1_2) at their real shapes, random values."""
    sd = collections.OrderedDict()
    for index, cout, cin in conv_shapes(VGG['vgg19'])[:2]:
        sd[f'features.{index}.weight'] = torch.randn(cout, cin, 3, 3, generator=generator)
        sd[f'features.{index}.bias'] = torch.randn(cout, generator=generator)
    special(sd['features.0.weight'])
    return sd


def expanded(shape, generator):
    """A tensor of `shape` whose storage holds shape[0] values (one per output channel), or one value for a vector."""
    if len(shape) == 1:
        return torch.randn(1, generator=generator).expand(*shape)
    return torch.randn(shape[0], generator=generator).view(shape[0], *([1] * (len(shape) - 1))).expand(*shape)


def whole(blocks, generator, batch_norm=False):
    """A whole torchvision VGG state dict (features and classifier) of expanded tensors."""
    sd = collections.OrderedDict()
    for index, cout, cin in conv_shapes(blocks, batch_norm):
        sd[f'features.{index}.weight'] = expanded((cout, cin, 3, 3), generator)
        sd[f'features.{index}.bias'] = expanded((cout,), generator)
        if batch_norm:
            for name in ['weight', 'bias', 'running_mean', 'running_var']:
                sd[f'features.{index + 1}.{name}'] = expanded((cout,), generator)
            sd[f'features.{index + 1}.num_batches_tracked'] = torch.tensor(0)
    for index, (cout, cin) in zip([0, 3, 6], [(4096, 25088), (4096, 4096), (1000, 4096)]):
        sd[f'classifier.{index}.weight'] = expanded((cout, cin), generator)
        sd[f'classifier.{index}.bias'] = expanded((cout,), generator)
    return sd


def resnet(generator):
    """The first layers of torchvision's resnet18, and its fc."""
    sd = collections.OrderedDict()
    sd['conv1.weight'] = expanded((64, 3, 7, 7), generator)
    for name in ['weight', 'bias', 'running_mean', 'running_var']:
        sd[f'bn1.{name}'] = expanded((64,), generator)
    sd['layer1.0.conv1.weight'] = expanded((64, 64, 3, 3), generator)
    sd['fc.weight'] = expanded((1000, 512), generator)
    sd['fc.bias'] = expanded((1000,), generator)
    return sd


def sha256(t):
    """The sha256 of a tensor's values as contiguous little-endian float32 (what the reader returns)."""
    return hashlib.sha256(t.contiguous().numpy().astype('<f4').tobytes()).hexdigest()


class RunsACommand:
    """Pickles as a call of os.system: what a malicious .pth does."""

    def __reduce__(self):
        return (os.system, ('touch wgpu-style-pwned',))


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(19)
    b1 = block1(g)
    features_only = collections.OrderedDict((k[len('features.'):], v) for k, v in b1.items())
    files = {
        'vgg19-block1.pth': (b1, True),
        'vgg19-block1-legacy.pth': (features_only, False),
        'vgg19-expanded.pth': (whole(VGG['vgg19'], g), True),
        'vgg19-expanded-legacy.pth': (whole(VGG['vgg19'], g), False),
        'vgg16-expanded.pth': (whole(VGG['vgg16'], g), True),
        'vgg19bn-expanded.pth': (whole(VGG['vgg19'], g, batch_norm=True), True),
        'resnet18-head.pth': (resnet(g), True),
    }
    manifest = {}
    for name, (sd, zipped) in files.items():
        torch.save(sd, os.path.join(OUT, name), _use_new_zipfile_serialization=zipped)
        if name.startswith('vgg19-'):  # the others are refused before any tensor is read
            manifest[name] = {k: sha256(v) for k, v in sd.items() if not k.startswith('classifier')}
    torch.save({'features.0.weight': RunsACommand()}, os.path.join(OUT, 'runs-a-command.pth'))
    torch.save({'features.0.weight': RunsACommand()}, os.path.join(OUT, 'runs-a-command-legacy.pth'),
               _use_new_zipfile_serialization=False)
    with open(os.path.join(OUT, 'manifest-torch.json'), 'w') as f:
        lines = [f'  {json.dumps(name)}: {json.dumps(tensors)}' for name, tensors in manifest.items()]
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')
    assert sys.byteorder == 'little'


if __name__ == '__main__':
    main()
