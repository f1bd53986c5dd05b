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
import pickle
import struct
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


class OldStorage:
    """Stands for a torch.FloatStorage in a file torch 0.1.12-0.3 wrote (torchvision's vgg19-dcbb9e9d.pth is from then)."""

    def __init__(self, key, values):
        self.key, self.values = key, values


class OldTensor:
    """Pickles as those versions pickled a tensor: _rebuild_tensor (not _v2) of (storage, offset, size, stride)."""

    def __init__(self, storage, size, stride):
        self.storage, self.size, self.stride = storage, size, stride

    def __reduce__(self):
        return (torch._utils._rebuild_tensor, (self.storage, 0, self.size, self.stride))


class OldPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, OldStorage):  # as torch.serialization._save did, on a GPU machine
            return ('storage', torch.FloatStorage, obj.key, 'cuda:0', len(obj.values), None)
        return None


def save_2017(sd, path):
    """The legacy stream as torch 0.1.12-0.3 wrote it, with OldTensor/OldStorage for the tensors.

    A matrix or kernel is stored as one value per output channel, a vector as one value (stride 0
    elsewhere), which keeps a whole VGG-19 with its classifier small."""
    old, storages = collections.OrderedDict(), {}
    for name, t in sd.items():
        per_row = t.dim() > 1
        values = (t.reshape(t.shape[0], -1)[:, 0] if per_row else t[:1]).contiguous().numpy().astype('<f4')
        key = str(140000000 + 4096 * len(storages))
        storages[key] = values
        stride = (1,) + (0,) * (t.dim() - 1) if per_row else (0,)
        old[name] = OldTensor(OldStorage(key, values), tuple(t.shape), stride)
    with open(path, 'wb') as f:
        for header in [0x1950A86A20F9469CFC6C, 1001, {'protocol_version': 1001, 'little_endian': True,
                                                       'type_sizes': {'short': 2, 'int': 4, 'long': 8}}]:
            pickle.dump(header, f, protocol=2)
        OldPickler(f, protocol=2).dump(old)
        keys = sorted(storages)
        pickle.dump(keys, f, protocol=2)
        for key in keys:
            f.write(struct.pack('<q', len(storages[key])) + storages[key].tobytes())
    # What the reader must return: each tensor expanded from its per-channel values.
    return {
        name: (t.reshape(t.shape[0], -1)[:, :1].expand(t.shape[0], t[0].numel()).reshape(t.shape) if t.dim() > 1 else t[:1].expand(t.shape))
        for name, t in sd.items()
    }


class RunsACommand:
    """Pickles as a call of os.system: what a malicious .pth does."""

    def __reduce__(self):
        return (os.system, ('touch wgpu-style-pwned',))


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(19)
    b1 = block1(g)
    features_only = collections.OrderedDict((k[len('features.'):], v) for k, v in b1.items())
    # torch.save names legacy storages by memory address: their files differ from run to run.
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
    expected = save_2017(whole(VGG['vgg19'], g), os.path.join(OUT, 'vgg19-expanded-2017.pth'))
    manifest['vgg19-expanded-2017.pth'] = {k: sha256(v) for k, v in expected.items() if not k.startswith('classifier')}
    torch.save({'features.0.weight': RunsACommand()}, os.path.join(OUT, 'runs-a-command.pth'))
    expected = save_2017(whole(VGG['vgg19'], g), os.path.join(OUT, 'vgg19-expanded-2017.pth'))
    manifest['vgg19-expanded-2017.pth'] = {k: sha256(v) for k, v in expected.items() if not k.startswith('classifier')}
    torch.save({'features.0.weight': RunsACommand()}, os.path.join(OUT, 'runs-a-command-legacy.pth'),
               _use_new_zipfile_serialization=False)
    with open(os.path.join(OUT, 'manifest-torch.json'), 'w') as f:
        lines = [f'  {json.dumps(name)}: {json.dumps(tensors)}' for name, tensors in manifest.items()]
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')
    assert sys.byteorder == 'little'


if __name__ == '__main__':
    main()
