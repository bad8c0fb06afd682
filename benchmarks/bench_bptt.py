"""Time one BPTT gradient of an LSTM (n = 64, T = 100, batch 32): rnnss vs finite differences vs PyTorch.

Run:  python benchmarks/bench_bptt.py [--n 64] [--T 100] [--batch 32] [--repeat 7] [--quick]
The PyTorch column needs torch (CPU is enough; skipped when it is not installed), e.g. in a separate venv:
    python -m venv /work/venv-torch && /work/venv-torch/bin/pip install torch numpy scipy numba
    PYTHONPATH=. /work/venv-torch/bin/python benchmarks/bench_bptt.py
Model: an LSTM with p = 2 inputs and a linear read-out, MSE on the last step (the adding problem). The
script first checks that PyTorch's gradient (same weights, float64) equals rnnss's, then times each method
in interleaved rounds, single-threaded (BLAS and torch on one thread), and prints the median times and the
ratios. Central finite differences need two loss evaluations per parameter; they are timed on a sample of
loss evaluations and scaled to the number of parameters.
"""

import argparse
import functools
import time

import numpy as np
from threadpoolctl import threadpool_limits

import rnnss

try:
    import torch
except ImportError:  # the benchmark runs without the PyTorch column
    torch = None


def torch_model(cell, readout, dtype):
    """nn.LSTM + nn.Linear holding rnnss's weights (PyTorch's gate order i, f, g, o is rnnss's)."""
    n, p = cell.n_hidden, cell.n_inputs
    lstm = torch.nn.LSTM(p, n, batch_first=True).to(dtype)
    lin = torch.nn.Linear(n, readout.n_outputs).to(dtype)
    with torch.no_grad():
        lstm.weight_hh_l0.copy_(torch.tensor(cell.W))
        lstm.weight_ih_l0.copy_(torch.tensor(cell.U))
        lstm.bias_ih_l0.copy_(torch.tensor(cell.b))
        lstm.bias_hh_l0.zero_()
        lin.weight.copy_(torch.tensor(readout.V))
        lin.bias.copy_(torch.tensor(readout.d))
    return lstm, lin


def torch_gradient(lstm, lin, x, y):
    lstm.zero_grad()
    lin.zero_grad()
    out, _ = lstm(x)
    loss = torch.nn.functional.mse_loss(lin(out[:, -1]), y)
    loss.backward()
    return loss


def check_against_torch(cell, readout, data):
    """Largest relative difference between PyTorch's float64 gradient and rnnss's."""
    lstm, lin = torch_model(cell, readout, torch.float64)
    x, y = torch.tensor(data.x), torch.tensor(data.y)
    loss = torch_gradient(lstm, lin, x, y)
    ours = rnnss.loss_and_grad(cell, readout, data)
    theirs = {
        "W": lstm.weight_hh_l0.grad,
        "U": lstm.weight_ih_l0.grad,
        "b": lstm.bias_ih_l0.grad,
        "V": lin.weight.grad,
        "d": lin.bias.grad,
    }
    rel = max(float(np.max(np.abs(ours.grads[k] - theirs[k].numpy())) / np.max(np.abs(ours.grads[k]))) for k in theirs)
    return rel, abs(float(loss.detach()) - ours.loss)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--T", type=int, default=100)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="small sizes, two rounds")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.T, args.batch, args.repeat = 8, 20, 4, 2
    n, T, nb = args.n, args.T, args.batch
    cell = rnnss.random_cell("lstm", n, 2, rng=0)
    readout = rnnss.random_readout(n, 1, rng=1)
    data = rnnss.adding_problem(nb, T, rng=2)
    n_params = sum(g.size for g in rnnss.loss_and_grad(cell, readout, data).grads.values())
    print(f"LSTM n={n}, p=2, T={T}, batch={nb}, MSE on the last step: {n_params} parameters")

    methods = {
        "rnnss numba": functools.partial(rnnss.loss_and_grad, cell, readout, data, engine="numba"),
        "rnnss numpy": functools.partial(rnnss.loss_and_grad, cell, readout, data, engine="numpy"),
        "one loss evaluation": functools.partial(rnnss.evaluate_loss, cell, readout, data),
    }
    if torch is not None:
        torch.set_num_threads(1)
        rel, dloss = check_against_torch(cell, readout, data)
        print(f"PyTorch {torch.__version__} float64 gradient vs rnnss: max rel. difference {rel:.1e}, loss {dloss:.1e}")
        for dtype, label in ((torch.float64, "float64"), (torch.float32, "float32")):
            lstm, lin = torch_model(cell, readout, dtype)
            x, y = torch.tensor(data.x, dtype=dtype), torch.tensor(data.y, dtype=dtype)
            methods[f"PyTorch {label}"] = functools.partial(torch_gradient, lstm, lin, x, y)
    else:
        print("PyTorch not installed: its column is skipped")

    times = {name: [] for name in methods}
    with threadpool_limits(1):
        for fn in methods.values():  # warm-up: numba compilation, torch's first call
            fn()
        for _ in range(args.repeat):  # interleaved rounds: a slow moment of the machine hits every method
            for name, fn in methods.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    med = {name: float(np.median(t)) for name, t in times.items()}
    fd = 2 * n_params * med.pop("one loss evaluation")
    base = med["rnnss numba"]
    print(f"median of {args.repeat} interleaved rounds, one thread:")
    for name, t in med.items():
        print(f"  {name:18s} {t * 1e3:10.2f} ms   {t / base:7.2f}x rnnss numba")
    print(f"  {'finite differences':18s} {fd:10.2f} s    {fd / base:7.0f}x rnnss numba  (2 x {n_params} losses)")


if __name__ == "__main__":
    main()
