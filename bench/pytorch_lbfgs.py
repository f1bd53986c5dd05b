"""PyTorch peer for bench/optimizers.ts: torch.optim.LBFGS (no line search, and strong Wolfe) and
Adam on the problem bench/optimizers.ts exports (the same resized images in the normalised space, the
same VGG-19 convolutions, the same loss), for the same number of loss evaluations. Prints a JSON
list: per run, the total loss of every evaluation and the seconds per evaluation.
    python3 bench/pytorch_lbfgs.py bench/results/optimizers-problem.json 200 20"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from pytorch_step import features, gram  # the same VGG forward and Gram matrix as the step benchmark


def load(path):
    with open(path) as f:
        header = json.load(f)
    blob = np.fromfile(os.path.join(os.path.dirname(path), header["data"]), dtype="<f4")
    arrays = {}
    for a in header["arrays"]:
        n = int(np.prod(a["shape"]))
        arrays[a["name"]] = torch.from_numpy(blob[a["offset"] : a["offset"] + n].copy()).view(*a["shape"])
    return header, arrays


def make_loss(header, arrays):
    t, L = header["toNetwork"], header["loss"]
    perm, a, b = t["perm"], torch.tensor(t["a"]).view(1, 3, 1, 1), torch.tensor(t["b"]).view(1, 3, 1, 1)
    layers = [(m["kind"], (arrays[m["name"] + ".weight"], arrays[m["name"] + ".bias"]) if m["kind"] == "conv" else None) for m in header["modules"]]

    def network(x):  # the normalised space -> the weights' input convention, then VGG-19
        return features(layers, x[:, perm] * a + b)

    with torch.no_grad():
        content = {l: f for l, f in network(arrays["content"]).items() if l in L["contentLayers"]}
        style = {l: gram(f) for l, f in network(arrays["style"]).items() if l in L["styleLayers"]}

    def loss(x):
        f = network(x)
        c = sum(F.mse_loss(f[l], content[l]) for l in L["contentLayers"]) * L["contentNormalizer"]
        s = sum(F.mse_loss(gram(f[l]), style[l]) for l in L["styleLayers"]) * L["styleNormalizer"]
        tv = 0.5 * ((x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean() + (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().mean())
        return L["contentWeight"] * c + L["styleWeight"] * s + L["tvWeight"] * tv

    return loss


def run(name, loss, start, evaluations, make_optimizer, lbfgs):
    x = start.clone().requires_grad_(True)
    opt = make_optimizer([x])
    losses, started = [], time.perf_counter()

    def closure():
        opt.zero_grad()
        value = loss(x)
        value.backward()
        losses.append(value.item())
        return value

    if lbfgs:
        opt.step(closure)
    else:
        for _ in range(evaluations):
            closure()
            opt.step()
    seconds = time.perf_counter() - started
    print(f"torch {name}: {len(losses)} evaluations, loss {losses[0]:.4g} -> {min(losses[:evaluations]):.4g}", file=sys.stderr)
    return {"name": name, "losses": losses[:evaluations], "secondsPerEvaluation": seconds / len(losses)}


def main():
    path, evaluations, history = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.backends.nnpack.set_flags(False)  # it only warns, on CPUs it does not support
    header, arrays = load(path)
    loss = make_loss(header, arrays)
    start = arrays["content"]
    common = {"lr": 1, "history_size": history, "tolerance_grad": -1, "tolerance_change": -1}
    runs = [
        # As neural-style runs it: max_iter = the evaluations, one each, the last step not evaluated.
        run("lbfgs", loss, start, evaluations, lambda p: torch.optim.LBFGS(p, max_iter=evaluations, **common), True),
        run("lbfgs-wolfe", loss, start, evaluations,
            lambda p: torch.optim.LBFGS(p, max_iter=10**6, max_eval=evaluations, line_search_fn="strong_wolfe", **common), True),
        run("adam-lr0.05", loss, start, evaluations, lambda p: torch.optim.Adam(p, lr=0.05), False),
    ]
    json.dump(runs, sys.stdout)


if __name__ == "__main__":
    main()
