"""Writes test/fixtures/lbfgs/torch-quadratic.json: torch.optim.LBFGS (float64) on a small convex
quadratic f(x) = 1/2 sum a_i (x_i - c_i)^2, every point it evaluates and its loss there, without and
with the strong Wolfe line search. test/optim-lbfgs.test.ts checks its float64 oracle against it, so the
oracle is torch's algorithm and not only our reading of it. Needs PyTorch; the fixture is committed.
    python3 scripts/make-lbfgs-fixture.py"""
import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)
N = 24
A = [1.0 + 3.0 * i + 0.5 * math.sin(i) for i in range(N)]  # distinct curvatures, condition ~70
C = [math.cos(1.7 * i) for i in range(N)]
X0 = [0.5 * math.sin(0.9 * i + 0.3) for i in range(N)]


def run(line_search, budget, history):
    a, c = torch.tensor(A), torch.tensor(C)
    x = torch.tensor(X0, requires_grad=True)
    # Without a search, max_iter = budget as neural-style runs it: `budget` evaluations and steps, the
    # last step not evaluated. With one, max_eval = budget (torch's search may make one more).
    limits = {"max_iter": budget} if line_search is None else {"max_iter": 10**6, "max_eval": budget}
    opt = torch.optim.LBFGS(
        [x], lr=1, **limits, tolerance_grad=-1, tolerance_change=-1, history_size=history, line_search_fn=line_search,
    )
    points, losses = [], []

    def closure():
        opt.zero_grad()
        loss = 0.5 * (a * (x - c) ** 2).sum()
        loss.backward()
        points.append(x.detach().tolist())
        losses.append(loss.item())
        return loss

    opt.step(closure)
    return {"lineSearch": line_search or "none", "budget": budget, "history": history,
            "points": points, "losses": losses, "final": x.detach().tolist()}


fixture = {
    "generator": f"scripts/make-lbfgs-fixture.py, torch {torch.__version__}",
    "a": A, "c": C, "x0": X0,
    "runs": [run(None, 30, 5), run("strong_wolfe", 40, 5)],
}
out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "lbfgs", "torch-quadratic.json")
with open(out, "w") as f:
    json.dump(fixture, f)
print(f"wrote {out}: " + ", ".join(f"{r['lineSearch']}: {len(r['losses'])} evaluations, loss {r['losses'][0]:.4g} -> {r['losses'][-1]:.4g}" for r in fixture["runs"]))
