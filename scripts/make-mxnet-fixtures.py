#!/usr/bin/env python3
"""Writes the MXNet fixtures in test/fixtures/weights/ byte for byte as MXNet's writer does.

    python3 scripts/make-mxnet-fixtures.py          (needs numpy; the tests do not)
    npx prettier --write test/fixtures/weights/*.json

MXNet cannot be installed here, so this follows its source (src/ndarray/ndarray.cc,
NDArray::Save for one array and for a named list; dmlc::Stream's vector and string writers):

    list:   u64 0x112, u64 0, u64 n, n arrays, u64 n, n names (u64 length, UTF-8 bytes)
    V2/V3:  u32 magic, i32 storage type (0: dense), shape, context, i32 type flag, data
    V1:     u32 0xF993fac8, shape, context, i32 type flag, data
    legacy: u32 ndim, ndim x u32 dims, context, i32 type flag, data
    shape:  i32 ndim, ndim x i64 dims (TShape::Save);  context: i32 device type, i32 device id

Two files, VGG-19's first block (conv1_1, conv1_2) at real shapes and random values:
- gluon-vgg19-block1.params: save_parameters' names (features.0.weight, ...); V2 headers, and a
  V3 header (NumPy shape semantics) on the last array.
- prefixed-vgg19-block1.params: save_params' names (vgg0_conv0_weight, ...) with the legacy
  header (no magic, u32 dims) on conv1_1 and V1 headers on conv1_2, as files from MXNet before
  0.9 and before 1.0 have; context GPU 0 on one array (what a model trained on a GPU saves).
manifest-mxnet.json holds the sha256 of each array's float32 little-endian bytes.
"""

import hashlib
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'weights')
V1, V2, V3 = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
CPU, GPU = 1, 2
FLOAT32 = 0


def shape_bytes(shape):
    return struct.pack('<i', len(shape)) + b''.join(struct.pack('<q', d) for d in shape)


def array_bytes(values, header, device=(CPU, 0)):
    shape = values.shape
    if header in (V2, V3):
        head = struct.pack('<Ii', header, 0) + shape_bytes(shape)
    elif header == V1:
        head = struct.pack('<I', V1) + shape_bytes(shape)
    else:  # legacy: the number of dimensions first, then u32 dims
        head = struct.pack('<I', len(shape)) + b''.join(struct.pack('<I', d) for d in shape)
    return head + struct.pack('<ii', *device) + struct.pack('<i', FLOAT32) + values.astype('<f4').tobytes()


def list_bytes(arrays):
    """arrays: [(name, array bytes)] -> an NDArray list file with names."""
    out = struct.pack('<QQQ', 0x112, 0, len(arrays))
    out += b''.join(a for _, a in arrays)
    out += struct.pack('<Q', len(arrays))
    for name, _ in arrays:
        encoded = name.encode('utf-8')
        out += struct.pack('<Q', len(encoded)) + encoded
    return out


def block1(rng):
    values = []
    for cout, cin in [(64, 3), (64, 64)]:
        values.append(rng.standard_normal((cout, cin, 3, 3)).astype(np.float32))
        values.append(rng.standard_normal((cout,)).astype(np.float32))
    values[0].reshape(-1)[:4] = np.array([-0.0, 1e-45, 3.4028234663852886e38, 1 / 3], dtype=np.float32)
    return values


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(19)
    w1, b1, w2, b2 = block1(rng)
    gluon = [
        ('features.0.weight', w1, V2, (CPU, 0)),
        ('features.0.bias', b1, V2, (CPU, 0)),
        ('features.2.weight', w2, V2, (CPU, 0)),
        ('features.2.bias', b2, V3, (CPU, 0)),
    ]
    w1, b1, w2, b2 = block1(rng)
    prefixed = [
        ('vgg0_conv0_weight', w1, 'legacy', (GPU, 0)),
        ('vgg0_conv0_bias', b1, 'legacy', (CPU, 0)),
        ('vgg0_conv1_weight', w2, V1, (CPU, 0)),
        ('vgg0_conv1_bias', b2, V1, (CPU, 0)),
    ]
    manifest = {}
    for file, arrays in [('gluon-vgg19-block1.params', gluon), ('prefixed-vgg19-block1.params', prefixed)]:
        with open(os.path.join(OUT, file), 'wb') as f:
            f.write(list_bytes([(name, array_bytes(v, header, device)) for name, v, header, device in arrays]))
        manifest[file] = {name: hashlib.sha256(v.astype('<f4').tobytes()).hexdigest() for name, v, _, _ in arrays}
    with open(os.path.join(OUT, 'manifest-mxnet.json'), 'w') as f:
        lines = [f'  {json.dumps(name)}: {json.dumps(tensors)}' for name, tensors in manifest.items()]
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')


if __name__ == '__main__':
    main()
