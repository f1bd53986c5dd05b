"""Float64 PyTorch references of the W2 and mean-std style losses (issue 26, stats-w2.ts and
stats-mean-std.ts), written to test/fixtures/style-losses-ref.json for test/style-losses.test.ts
(CI has no torch: the fixture is committed).

W2 is crowsonkb/style-transfer-pytorch's StyleLossW2 (style_transfer.py) with its sqrtm_ns_lyap
(sqrtm.py, MIT licence), reproduced below: Newton-Schulz square root, 12 iterations, and its
backward by the coupled Lyapunov iteration; the loss's gradient is torch's autograd through it.
A masked term weights each pixel by w: E_w[g] = sum_p w_p g(f_p) / (P mean w).
mean-std: mean((mu - mu_s)^2) + mean((sigma - sigma_s)^2), sigma = sqrt(E[f^2] - mu^2 + eps).

    python3 bench/style_losses_ref.py   # torch 2.x, CPU
"""

import json
import pathlib

import torch

torch.set_default_dtype(torch.float64)
W2_EPS = 1e-4  # src/style/stats-w2.ts W2_EPS
MEAN_STD_EPS = 1e-5  # src/style/stats-mean-std.ts MEAN_STD_EPS
ITERATIONS = 12  # src/kernels/sqrtm.ts SQRTM_ITERATIONS


def sqrtm_ns(a, num_iters):
    norm_a = a.pow(2).sum(dim=[-2, -1], keepdim=True).sqrt()
    y = a / norm_a
    eye = torch.eye(a.shape[-1]) * 3
    z = torch.eye(a.shape[-1])
    for _ in range(num_iters):
        t = (eye - z @ y) / 2
        y = y @ t
        z = t @ z
    return y * norm_a.sqrt()


class SqrtmNSLyap(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        z = sqrtm_ns(a, ITERATIONS)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        norm_z = z.pow(2).sum(dim=[-2, -1], keepdim=True).sqrt()
        a = z / norm_z
        eye = torch.eye(z.shape[-1]) * 3
        q = grad_output / norm_z
        for i in range(ITERATIONS):
            eye_a_a = eye - a @ a
            q = (q @ eye_a_a - a.transpose(-2, -1) @ (a.transpose(-2, -1) @ q - q @ a)) / 2
            if i < ITERATIONS - 1:
                a = a @ eye_a_a / 2
        return q / 2


def weighted_moments(f, w):
    """mean [C] and second raw moment [C, C] of f [C, P], pixels weighted by w [P] (None: 1)."""
    p = f.shape[1]
    w = torch.ones(p) if w is None else w
    scale = 1 / (p * w.mean())
    return (f * w).sum(1) * scale, (f * w) @ f.T * scale


def w2_loss(x, style, w=None, sqrtm=SqrtmNSLyap.apply):
    mean_s, srm_s = weighted_moments(style, None)
    cov_s = srm_s - torch.outer(mean_s, mean_s) + torch.eye(len(mean_s)) * W2_EPS
    cov_s_sqrt = sqrtm(cov_s)
    mean, srm = weighted_moments(x, w)
    cov = srm - torch.outer(mean, mean) + torch.eye(len(mean)) * W2_EPS
    mean_diff = torch.mean((mean - mean_s) ** 2)
    sqrt_term = sqrtm(cov_s_sqrt @ cov @ cov_s_sqrt)
    return mean_diff + torch.diagonal(cov_s + cov - 2 * sqrt_term).mean()


def sqrtm_eig(a):
    vals, vecs = torch.linalg.eigh(a)
    return vecs @ torch.diag(vals.clamp(min=0).sqrt()) @ vecs.T


def mean_std_loss(x, style, w=None):
    def stats(f, weights):
        mean, srm = weighted_moments(f, weights)
        return mean, (torch.diagonal(srm) - mean**2 + MEAN_STD_EPS).sqrt()

    mean_s, std_s = stats(style, None)
    mean, std = stats(x, w)
    return torch.mean((mean - mean_s) ** 2) + torch.mean((std - std_s) ** 2)


def case(name, loss_fn, x, style, w):
    xg = x.clone().requires_grad_(True)
    loss = loss_fn(xg, style, w)
    (grad,) = torch.autograd.grad(loss, xg)
    return {"name": name, "loss": loss.item(), "grad": [float(f"{g:.10g}") for g in grad.flatten().tolist()]}


def main():
    gen = torch.Generator().manual_seed(26)
    c, (h, w_), (hs, ws) = 8, (6, 5), (7, 6)
    # ReLU-like features (some exact zeros), channels of different scales, as a VGG layer's.
    scales = torch.linspace(0.5, 3, c)[:, None]
    x = (torch.randn(c, h * w_, generator=gen) * scales + 0.3).clamp(min=0)
    style = (torch.randn(c, hs * ws, generator=gen) * scales.flip(0) + 0.5).clamp(min=0)
    mask = torch.rand(h * w_, generator=gen)
    # Values a float32 upload keeps exactly, so that the device and torch see the same inputs.
    x, style, mask = (t.float().double() for t in (x, style, mask))
    cases = [
        case("w2", w2_loss, x, style, None),
        case("w2 masked", w2_loss, x, style, mask),
        case("mean-std", mean_std_loss, x, style, None),
        case("mean-std masked", mean_std_loss, x, style, mask),
    ]
    exact = w2_loss(x, style, None, sqrtm_eig).item()
    out = {
        "about": "bench/style_losses_ref.py: torch float64 references (crowsonkb's StyleLossW2, 12 Newton-Schulz iterations; mean-std)",
        "torch": torch.__version__,
        "channels": c,
        "content": [h, w_],
        "style": [hs, ws],
        "w2Eps": W2_EPS,
        "meanStdEps": MEAN_STD_EPS,
        "x": x.flatten().tolist(),
        "styleFeatures": style.flatten().tolist(),
        "mask": mask.tolist(),
        "w2ExactLoss": exact,
        "cases": cases,
    }
    path = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "style-losses-ref.json"
    path.write_text(json.dumps(out) + "\n")
    for c_ in cases:
        print(f"{c_['name']}: loss {c_['loss']:.10g}")
    print(f"w2 with an eigh square root: {exact:.10g}; wrote {path}")


if __name__ == "__main__":
    main()
