"""PyTorch CPU peer for the wgpu-style benchmark: seconds per full style step (VGG-19 features
0..28 with random weights, seed loss, autograd, Adam) at the given sizes ("128" square or
"100x200" height × width). Prints one JSON object."""
import json
import sys
import time

import torch
import torch.nn.functional as F

CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512]


def build():
    layers, cin = [], 3
    for v in CFG:
        if v == "M":
            layers.append(("pool", None))
        else:
            w = torch.randn(v, cin, 3, 3) * (2.0 / (cin * 9)) ** 0.5
            layers += [("conv", (w, torch.zeros(v))), ("relu", None)]
            cin = v
    return layers[:29]


def features(layers, x):
    out = {}
    for i, (kind, p) in enumerate(layers):
        x = F.conv2d(x, p[0], p[1], padding=1) if kind == "conv" else F.relu(x) if kind == "relu" else F.max_pool2d(x, 2)
        out[i] = x
    return out


def gram(f):
    _, c, h, w = f.shape
    x = f.view(c, h * w)
    return x @ x.t() / (c * h * w)


def step_seconds(size, steps):
    h, _, w = size.partition("x")
    h, w = int(h), int(w or h)
    layers = build()
    content, style = torch.randn(1, 3, h, w), torch.randn(1, 3, h, w)
    with torch.no_grad():
        ct = features(layers, content)[25]
        grams = [gram(features(layers, style)[l]) for l in (0, 5, 10, 19, 28)]
    image = content.clone().requires_grad_(True)
    opt = torch.optim.Adam([image], lr=0.01)

    def step():
        opt.zero_grad()
        f = features(layers, image)
        loss = F.mse_loss(f[25], ct) + 1e3 * sum(F.mse_loss(gram(f[l]), g) for l, g in zip((0, 5, 10, 19, 28), grams))
        tv = 0.5 * ((image[:, :, 1:, :] - image[:, :, :-1, :]).abs().mean() + (image[:, :, :, 1:] - image[:, :, :, :-1]).abs().mean())
        (loss + 50 * tv).backward()
        opt.step()

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


if __name__ == "__main__":
    sizes = sys.argv[1].split(",")
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "steps": {s: step_seconds(s, steps) for s in sizes}}))
